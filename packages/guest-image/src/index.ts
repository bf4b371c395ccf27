// @mock-accel/guest-image: the busybox guest that boots against mock-accel devices (Debian's
// kernel, mock_accel.ko from this tree, the typed sysfs client compiled for the guest, the ioctl
// helper, the sysfs dump script), built and cached. The end-to-end suite, the DRA driver's
// in-guest test and `mock-accel demo` boot it.
export { cacheRelative, compileGuestProgram, goDiscoverProgram, guestArtifacts, guestInitramfs, helperProgram, typescriptSourcesUnder, DUMP_SCRIPT, GUEST, type GuestArtifacts } from "./artifacts.ts";
