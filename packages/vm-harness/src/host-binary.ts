// A dynamically linked host program for the guest: the program plus every shared library
// `ldd` names (the loader included), at the same absolute paths, so it runs in a busybox
// initramfs that has no libc of its own (e.g. a `bun build --compile` executable).
import { existsSync } from "node:fs";
import type { GuestFile } from "./initramfs.ts";
import { run } from "./run.ts";

/** initramfs `files` entries for `hostPath` (at `guestPath`, default the same path) and its libraries. */
export async function hostExecutableFiles(hostPath: string, guestPath: string = hostPath): Promise<Record<string, GuestFile>> {
  if (!existsSync(hostPath)) throw new Error(`${hostPath}: not found`);
  const files: Record<string, GuestFile> = { [guestPath]: hostPath };
  const r = await run("ldd", [hostPath]);
  // Static executables: ldd says so (and exits 1); nothing else to copy.
  if (/not a dynamic executable|statically linked/.test(r.stdout + r.stderr)) return files;
  if (r.code !== 0) throw new Error(`ldd ${hostPath} failed: ${r.stderr.trim()}`);
  for (const line of r.stdout.split("\n")) {
    const missing = /^\s*(\S+) => not found/.exec(line);
    if (missing) throw new Error(`${hostPath}: shared library ${missing[1]} not found on the host`);
    const lib = /=> (\/\S+) \(0x/.exec(line)?.[1] ?? /^\s*(\/\S+) \(0x/.exec(line)?.[1];
    if (lib) files[lib] = lib;
  }
  return files;
}
