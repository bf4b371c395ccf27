// What the end-to-end suite needs from the machine, as testkit requirements: on a laptop a
// missing tool skips with the command that installs it; under CI=true the tests fail.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { requirement, type Requirement } from "@mock-accel/testkit";
import { LIBVFIO_USER_INSTALL_COMMAND, checkProxyQemu, libvfioUserInstalled } from "@mock-accel/server";
import { findDebianKernelHeaders } from "@mock-accel/kernel-driver";
import { findSystemQemu, findVfioUserQemu, INSTALL_QEMU_SCRIPT } from "@mock-accel/vm-harness";

const has = (cmd: string, args: string[] = ["--version"]) => spawnSync(cmd, args, { stdio: "ignore" }).status === 0;

/** Kernel headers, gcc (module and static helper), busybox, cpio, apt-get for the guest kernel. */
export const guestBuild: Requirement = requirement(
  "Debian kernel headers, gcc, make, busybox-static, cpio, dpkg-deb",
  findDebianKernelHeaders().length > 0 && has("gcc") && has("make") && existsSync("/bin/busybox") && has("cpio") && has("dpkg-deb"),
  "apt-get install linux-headers-amd64 gcc make libc6-dev busybox-static cpio",
);

const systemQemu = await findSystemQemu();
const proxyCheck = systemQemu === null ? null : checkProxyQemu(systemQemu);
/** The system's QEMU, when it runs x-pci-proxy-dev (6.0 <= version < 10.0, multiprocess built in). */
export const proxyQemuPath: string | null = proxyCheck?.problem === null ? systemQemu : null;
export const proxyQemu: Requirement = requirement(
  `a QEMU 6.0..9.x with x-pci-proxy-dev${proxyCheck?.problem ? ` (${proxyCheck.problem})` : ""}`,
  proxyQemuPath !== null,
  "apt-get install qemu-system-x86 (Debian 12 ships 7.2)",
);

/** QEMU with vfio-user-pci, as scripts/install-qemu-vfio-user.sh leaves it (looked up, not fetched). */
export const vfioUserQemuPath: string | null = await findVfioUserQemu({ install: false });
export const vfioUserQemu: Requirement = requirement("a QEMU with vfio-user-pci (>= 10.1)", vfioUserQemuPath !== null, `bash ${INSTALL_QEMU_SCRIPT}`);

export const libvfioUser: Requirement = requirement(
  "libvfio-user",
  libvfioUserInstalled(),
  LIBVFIO_USER_INSTALL_COMMAND,
);

/** Go, to build the Go client's discovery for the guest. */
export const goToolchain: Requirement = requirement("go (>= 1.26)", has("go", ["version"]), "Go 1.26 or newer from https://go.dev/dl/");
