// @mock-accel/vm-harness: boot a Debian kernel under QEMU TCG with a busybox initramfs and
// collect what the guest prints. Used by the kernel driver's guest tests and the end-to-end
// suite.
//
//   const qemu = await findSystemQemu();                     // or findVfioUserQemu()
//   const kernel = await fetchDebianKernel();                // matches linux-headers-amd64
//   const initramfs = await buildInitramfs({ files: { "/mock_accel.ko": ko }, init: "insmod /mock_accel.ko" });
//   const r = await bootGuest({ qemu, kernel: kernel.image, initramfs, devices: [...], timeoutMs: 60_000 });
//   r.exitCode, r.scriptOutput, r.serial
export { cacheDir } from "./cache.ts";
export { cachedBuild, filesUnder, hashFiles } from "./build-cache.ts";
export { extractVmlinux, fetchDebianKernel, installedHeaderVersions, type GuestKernel } from "./kernel.ts";
export { buildInitramfs, DEFAULT_BUSYBOX, EXIT_MARKER, SCRIPT_START_MARKER, type GuestFile, type InitramfsOptions } from "./initramfs.ts";
export { bootGuest, qemuArgs, DEFAULT_MACHINE, type BootOptions, type BootResult } from "./boot.ts";
export { findSystemQemu, findVfioUserQemu, hasVfioUserPci, INSTALL_QEMU_SCRIPT, REPO_ROOT } from "./qemu.ts";
export { guestKernelLogProblems } from "./kernel-log.ts";
export { hostExecutableFiles } from "./host-binary.ts";
export { run, runOk, type RunOptions, type RunResult } from "./run.ts";
export { parseSections, SECTION_FUNCTION, SECTION_MARKER } from "./sections.ts";
