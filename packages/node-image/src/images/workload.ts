// The example workloads' image: a static busybox (Debian's busybox-static, the host's
// /bin/busybox that vm-harness's initramfs uses too) with a link for every applet it was built
// with, at the path busybox itself lists (bin/sh, usr/bin/env, ...), so a pod's shell line
// finds sh, ls, cat, env, grep, sleep, echo and the rest.
import { chmodSync, copyFileSync, mkdirSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { DEFAULT_BUSYBOX, run, runOk } from "@mock-accel/vm-harness";
import type { ImageConfig } from "./oci.ts";

export const BUSYBOX = DEFAULT_BUSYBOX;
const INSTALL = "apt-get install busybox-static";

export const WORKLOAD_CONFIG: ImageConfig = {
  cmd: ["sh"],
  env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
};

/** The applets' paths relative to / (`busybox --list-full`), after checking it is static. */
export async function busyboxApplets(busybox = BUSYBOX): Promise<string[]> {
  // ldd says so of a static executable (and exits 1); a dynamic busybox would need its libc.
  const ldd = await run("ldd", [busybox]);
  if (!/not a dynamic executable|statically linked/.test(ldd.stdout + ldd.stderr)) throw new Error(`${busybox} is not statically linked: ${INSTALL}`);
  const list = await runOk(busybox, ["--list-full"], { hint: INSTALL });
  return list.split("\n").map((l) => l.trim()).filter((l) => l !== "" && l !== "bin/busybox").sort();
}

export async function fillWorkload(rootfs: string, busybox = BUSYBOX): Promise<void> {
  const applets = await busyboxApplets(busybox);
  mkdirSync(join(rootfs, "bin"), { recursive: true });
  copyFileSync(busybox, join(rootfs, "bin", "busybox"));
  chmodSync(join(rootfs, "bin", "busybox"), 0o755);
  for (const applet of applets) {
    const link = join(rootfs, applet);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync("/bin/busybox", link);
  }
  // A writable scratch folder, as shell scripts expect.
  mkdirSync(join(rootfs, "tmp"));
  chmodSync(join(rootfs, "tmp"), 0o1777);
}
