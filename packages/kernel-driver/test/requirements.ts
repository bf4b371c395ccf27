// What the kernel-driver tests need from the machine, as testkit requirements (skip on a
// laptop, fail under CI=true).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { requirement } from "@mock-accel/testkit";
import { findDebianKernelHeaders } from "../src/index.ts";

const has = (cmd: string, args: string[] = ["--version"]) => spawnSync(cmd, args, { stdio: "ignore" }).status === 0;

export const headers = findDebianKernelHeaders()[0] ?? null;
export const kernelHeaders = requirement(
  "Debian kernel headers (/usr/src/linux-headers-*-amd64) and gcc/make",
  headers !== null && has("gcc") && has("make"),
  "apt-get install linux-headers-amd64 gcc make",
);
export const sparse = requirement("sparse", has("sparse", ["--version"]) || existsSync("/usr/bin/sparse"), "apt-get install sparse");
export const gcc = requirement("gcc", has("gcc"), "apt-get install gcc libc6-dev");
export const guestTools = requirement(
  "qemu-system-x86_64, busybox-static, cpio and apt-get (for the guest kernel)",
  has("qemu-system-x86_64") && existsSync("/bin/busybox") && has("cpio") && has("apt-get") && has("dpkg-deb"),
  "apt-get install qemu-system-x86 busybox-static cpio",
);
export const dkms = requirement("dkms", has("dkms", ["--version"]), "apt-get install dkms");
