// @mock-accel/e2e: boot a guest against devices the Bun server serves, over either transport,
// and collect what the guest and the server saw. The suite lives in test/, the benchmark in bench/.
export { compileGuestProgram, guestArtifacts, guestInitramfs, typescriptSourcesUnder, GUEST, DUMP_SCRIPT, type GuestArtifacts } from "./artifacts.ts";
export { guestScript, parseSections, SECTION_MARKER, type GuestScriptOptions } from "./guest-script.ts";
export { runGuest, TOPOLOGY_FILE, type GuestRunResult, type RunGuestOptions, type ServerWrite, type Transport } from "./run-guest.ts";
