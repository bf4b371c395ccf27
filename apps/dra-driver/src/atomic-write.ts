// Replacing a file so a reader (a container runtime watching the CDI directory, a restarted
// plugin reading its checkpoint) sees the old version or the new one, never a torn one: write a
// staging file in the same directory and rename it over the target; for a durable write, fsync
// the file before the rename and the directory after it. On failure the staging file is removed
// and the target is untouched. overwriteFileDurably is the cheaper write for a caller that keeps
// a second copy and can tell a torn one (the checkpoint's two files, with their hashes).
import { closeSync, fdatasyncSync, fsyncSync, ftruncateSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";

export interface AtomicWriteOptions {
  /** Permissions of the new file. */
  mode: number;
  /** Where the bytes are written before the rename; must be in the target's directory. */
  stagingPath: string;
  /**
   * fsync the file before the rename and the directory after it, so the new version survives a
   * power loss: for a file read back after a reboot to undo work (the checkpoint), not for one
   * that is rewritten before anyone trusts it again (a CDI spec; the README's "Crash safety").
   */
  durable: boolean;
}

export function writeFileAtomic(path: string, text: string, opts: AtomicWriteOptions): void {
  const dir = dirname(path);
  if (dirname(opts.stagingPath) !== dir) throw new Error(`${opts.stagingPath}: the staging file must be in ${dir}, or the rename is not atomic`);
  mkdirSync(dir, { recursive: true });
  try {
    const fd = openSync(opts.stagingPath, "w", opts.mode);
    try {
      writeSync(fd, text);
      if (opts.durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(opts.stagingPath, path);
  } catch (err) {
    rmSync(opts.stagingPath, { force: true });
    throw err;
  }
  if (opts.durable) fsyncPath(dir);
}

/** fsync of a file or directory by path. */
export function fsyncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces an existing file's bytes in place (write, truncate to the new length, fdatasync), for
 * a caller that keeps another copy to fall back on while this one may be torn (the checkpoint's
 * two files). ENOENT, before anything is written, when the file does not exist.
 */
export function overwriteFileDurably(path: string, text: string): void {
  const bytes = Buffer.from(text);
  const fd = openSync(path, "r+");
  try {
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, done);
    ftruncateSync(fd, bytes.length);
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
