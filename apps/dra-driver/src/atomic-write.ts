// Replacing a file so a reader (a container runtime watching the CDI directory, a restarted
// plugin reading its checkpoint) sees the old version or the new one, never a torn one: write a
// staging file in the same directory, fsync it, rename it over the target. On failure the
// staging file is removed and the target is untouched.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";

export interface AtomicWriteOptions {
  /** Permissions of the new file. */
  mode: number;
  /** Where the bytes are written before the rename; must be in the target's directory. */
  stagingPath: string;
  /**
   * fsync the directory after the rename, so the rename itself survives a crash (a file read
   * back after a reboot to undo work, unlike one that is rewritten on the next start).
   */
  syncDirectory: boolean;
}

export function writeFileAtomic(path: string, text: string, opts: AtomicWriteOptions): void {
  const dir = dirname(path);
  if (dirname(opts.stagingPath) !== dir) throw new Error(`${opts.stagingPath}: the staging file must be in ${dir}, or the rename is not atomic`);
  mkdirSync(dir, { recursive: true });
  try {
    const fd = openSync(opts.stagingPath, "w", opts.mode);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(opts.stagingPath, path);
  } catch (err) {
    rmSync(opts.stagingPath, { force: true });
    throw err;
  }
  if (!opts.syncDirectory) return;
  const dirFd = openSync(dir, "r");
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}
