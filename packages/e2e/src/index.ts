// @mock-accel/e2e: boot a guest against devices the Bun server serves, over either transport,
// and collect what the guest and the server saw. The guest itself is @mock-accel/guest-image.
// The suite lives in test/, the benchmark in bench/.
export { guestScript, parseSections, SECTION_MARKER, type GuestScriptOptions } from "./guest-script.ts";
export { runGuest, TOPOLOGY_FILE, type GuestRunResult, type RunGuestOptions, type ServerWrite, type Transport } from "./run-guest.ts";
