// A busybox initramfs: static busybox (Debian's busybox-static), the files a test needs, and
// an /init that mounts the usual filesystems, runs the caller's script and reports its exit
// status on the serial console before powering off. cpio (newc) + gzip, as the kernel wants.
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { runOk } from "./run.ts";

/** The line /init prints when the script ends: `<marker> <exit status>`. */
export const EXIT_MARKER = "@@mock-accel-guest-exit";
/** The line /init prints just before it runs the script (uptime in seconds follows). */
export const SCRIPT_START_MARKER = "@@mock-accel-guest-script-start";

export const DEFAULT_BUSYBOX = "/bin/busybox";

/** A file for the guest: a host path to copy, or literal content. */
export type GuestFile = string | { content: string | Uint8Array; mode?: number };

export interface InitramfsOptions {
  /** Guest path (absolute) -> file. Directories are created as needed. */
  files?: Record<string, GuestFile>;
  /** Shell script (busybox sh) run as the guest's job; its exit status is reported. */
  init: string;
  /**
   * Replaces the harness's /init (which runs `init` and powers off) with this script, for a
   * guest that goes on to something else, e.g. switching to a root disk. `init` is then unused.
   */
  rawInit?: string;
  /** Where to write the .cpio.gz; default: a new temp file. */
  outPath?: string;
  /** A static busybox; default /bin/busybox (Debian: apt-get install busybox-static). */
  busybox?: string;
}

const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mkdir -p /proc /sys /dev /tmp /run
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || mdev -s
mount -t tmpfs tmpfs /tmp
echo "${SCRIPT_START_MARKER} $(cut -d' ' -f1 /proc/uptime)"
sh /test.sh
status=$?
echo "${EXIT_MARKER} $status"
sync
poweroff -f
`;

/** Build the initramfs; returns its path. Fails naming the missing file when a source is absent. */
export async function buildInitramfs(opts: InitramfsOptions): Promise<string> {
  const busybox = opts.busybox ?? DEFAULT_BUSYBOX;
  if (!existsSync(busybox)) throw new Error(`${busybox} not found: apt-get install busybox-static`);
  const stage = mkdtempSync(join(tmpdir(), "mock-accel-initramfs-"));
  try {
    const put = (guestPath: string, file: GuestFile): void => {
      if (!guestPath.startsWith("/")) throw new Error(`initramfs file "${guestPath}": guest paths must be absolute`);
      const dest = join(stage, guestPath);
      mkdirSync(dirname(dest), { recursive: true });
      if (typeof file === "string") {
        if (!existsSync(file)) throw new Error(`initramfs file "${guestPath}": source ${file} not found`);
        copyFileSync(file, dest);
      } else {
        writeFileSync(dest, file.content);
        if (file.mode !== undefined) chmodSync(dest, file.mode);
      }
    };
    put("/bin/busybox", busybox);
    chmodSync(join(stage, "bin/busybox"), 0o755);
    put("/init", { content: opts.rawInit ?? INIT, mode: 0o755 });
    if (opts.rawInit === undefined) put("/test.sh", { content: opts.init, mode: 0o755 });
    for (const [guestPath, file] of Object.entries(opts.files ?? {})) put(guestPath, file);

    const ownDir = opts.outPath === undefined ? mkdtempSync(join(tmpdir(), "mock-accel-initrd-")) : null;
    const out = opts.outPath ?? join(ownDir!, "initramfs.cpio.gz");
    const partial = `${out}.partial`;
    try {
      // find | cpio keeps the archive reproducible enough for a cache and needs no root.
      await runOk("sh", ["-c", `cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1 > "$2"`, "sh", stage, partial]);
      renameSync(partial, out);
    } catch (err) {
      rmSync(partial, { force: true });
      if (ownDir) rmSync(ownDir, { recursive: true, force: true });
      throw err;
    }
    return out;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
