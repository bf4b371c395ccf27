// Finding QEMU: the system's qemu-system-x86_64 for plain guests (and x-pci-proxy-dev), and a
// QEMU with vfio-user-pci (>= 10.1) from scripts/install-qemu-vfio-user.sh, which finds one or
// fetches Debian unstable's into the cache.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { cacheDir } from "./cache.ts";
import { run } from "./run.ts";

export const REPO_ROOT = join(import.meta.dirname, "..", "..", "..");
export const INSTALL_QEMU_SCRIPT = join(REPO_ROOT, "scripts", "install-qemu-vfio-user.sh");

/** The system's qemu-system-x86_64 (or $QEMU), or null. */
export async function findSystemQemu(): Promise<string | null> {
  for (const q of [process.env.QEMU, "/usr/bin/qemu-system-x86_64", "/usr/local/bin/qemu-system-x86_64"]) {
    if (q && existsSync(q)) return q;
  }
  const r = await run("sh", ["-c", "command -v qemu-system-x86_64"]);
  return r.code === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

/** True when `qemu` offers vfio-user-pci. Asks about that device only: `-device help` aborts on mixed installs. */
export async function hasVfioUserPci(qemu: string): Promise<boolean> {
  const r = await run(qemu, ["-device", "vfio-user-pci,help"]);
  return r.code === 0 && r.stdout.includes("socket");
}

/**
 * A QEMU with vfio-user-pci. With `install: true` (default) runs
 * scripts/install-qemu-vfio-user.sh, which may download Debian's QEMU into the cache (~16 s
 * the first time); with `install: false` only looks. Returns null when none is available.
 */
export async function findVfioUserQemu(opts: { install?: boolean } = {}): Promise<string | null> {
  if (opts.install === false) {
    for (const q of [process.env.QEMU, join(cacheDir(), "qemu-vfio-user", "bin", "qemu-system-x86_64"), await findSystemQemu()]) {
      if (q && existsSync(q) && (await hasVfioUserPci(q))) return q;
    }
    return null;
  }
  const r = await run("bash", [INSTALL_QEMU_SCRIPT]);
  if (r.code !== 0) return null;
  const path = r.stdout.trim().split("\n").pop();
  return path && existsSync(path) ? path : null;
}
