// Attribute files kept open between reads (issue 20). Opening a sysfs attribute walks its path,
// allocates a kernfs open file and its seq_file, and closing frees them: with the fstat the
// bounded read needs, four system calls around the one that matters. An open attribute read
// again at offset 0 runs the driver's show() again (seq_read_iter restarts at position 0), so
// a kept descriptor gives a fresh value with one pread.
//
// A kept descriptor must not outlive the file it names:
// - sysfs: once the attribute is removed (device unplugged, VF disabled) a read of an open file
//   fails with ENODEV (kernfs refuses to start a read on a removed node). That read is retried
//   once with a fresh open, whose ENOENT the caller turns into its usual typed error.
// - any other file system (a fake tree): a read of an unlinked file would still succeed, with
//   the old text, so each read first checks with fstat that the file still has a name. A file
//   replaced by rename (the fake tree's updates) or removed with its directory has none.
// The checks of a fresh read are kept: open never follows a last-component symlink and never
// waits (O_NONBLOCK), a non-regular file (a FIFO) is refused, and a read stops at a page.
import { closeSync, constants, fstatSync, openSync, readSync, statfsSync } from "node:fs";
import { SYSFS_MAX_BYTES } from "./bounded-read.ts";

/** statfs f_type of sysfs (SYSFS_MAGIC in include/uapi/linux/magic.h). */
export const SYSFS_MAGIC = 0x62656572;

/** How many attribute files a client keeps open unless told otherwise. */
export const DEFAULT_MAX_OPEN_FILES = 128;

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW;

function fsError(code: string, path: string, what: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${path}: ${what}`);
  err.code = code;
  err.path = path;
  return err;
}

// One buffer for every read: the reads are synchronous, so no two overlap, and the text is
// decoded out of it before read() returns.
const page = Buffer.alloc(SYSFS_MAX_BYTES + 1);

/** The whole text from offset 0, refused (EFBIG) past a page. */
function readFromStart(fd: number, path: string): string {
  let got = 0;
  // A regular file (a sysfs attribute answers in one read) comes short only at its end.
  while (got < page.length) {
    const n = readSync(fd, page, got, page.length - got, got);
    got += n;
    if (n === 0 || got < page.length) break;
  }
  if (got > SYSFS_MAX_BYTES) throw fsError("EFBIG", path, `longer than ${SYSFS_MAX_BYTES} bytes`);
  return page.toString("utf8", 0, got);
}

function openRegular(path: string): number {
  const fd = openSync(path, OPEN_FLAGS);
  try {
    if (!fstatSync(fd).isFile()) throw fsError("EINVAL", path, "not a regular file");
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return fd;
}

const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | null)?.code;

/**
 * At most `maxOpen` attribute files kept open, the least recently read closed first. Errors
 * carry the errno name in `code`, as readBoundedTextSync's do.
 */
interface Kept {
  fd: number;
  /** `reads` when this file was last read: the smallest is the least recently read. */
  lastRead: number;
}

export class AttributeFiles {
  private readonly fds = new Map<string, Kept>();
  /** Reads so far: a clock for lastRead (a hit only stamps it; eviction, rare, looks for the oldest). */
  private reads = 0;
  /** Whether the files are sysfs's; known at the first open (one client reads one tree). */
  private kernfs: boolean | undefined;

  constructor(readonly maxOpen = DEFAULT_MAX_OPEN_FILES) {
    if (!Number.isInteger(maxOpen) || maxOpen < 0) throw new RangeError(`maxOpen must be a whole number >= 0, got ${maxOpen}`);
  }

  /** How many files are open now. */
  get openCount(): number {
    return this.fds.size;
  }

  /** The file's text, read from a kept descriptor when there is one that still names it. */
  read(path: string): string {
    const kept = this.fds.get(path);
    if (kept !== undefined) {
      kept.lastRead = ++this.reads;
      let text: string | undefined;
      try {
        text = this.reread(kept.fd, path);
      } catch (err) {
        this.fds.delete(path); // closed by reread
        throw err;
      }
      if (text !== undefined) return text;
      this.fds.delete(path); // closed by reread
    }
    const fd = openRegular(path);
    let text: string;
    try {
      this.kernfs ??= statfsSync(path).type === SYSFS_MAGIC;
      text = readFromStart(fd, path);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    if (this.maxOpen === 0) {
      closeSync(fd);
      return text;
    }
    if (this.fds.size >= this.maxOpen) this.closeLeastRecentlyRead();
    this.fds.set(path, { fd, lastRead: ++this.reads });
    return text;
  }

  /** Closes every kept file. Later reads open files again. */
  close(): void {
    const kept = [...this.fds.values()];
    this.fds.clear();
    for (const k of kept) closeSync(k.fd);
  }

  private closeLeastRecentlyRead(): void {
    let oldestPath: string | undefined;
    let oldest: Kept | undefined;
    for (const [path, k] of this.fds) {
      if (oldest === undefined || k.lastRead < oldest.lastRead) {
        oldestPath = path;
        oldest = k;
      }
    }
    if (oldestPath === undefined || oldest === undefined) return;
    this.fds.delete(oldestPath);
    closeSync(oldest.fd);
  }

  /** The text through a kept descriptor (closed here unless it is returned), or undefined when it no longer names the file. */
  private reread(fd: number, path: string): string | undefined {
    try {
      if (this.kernfs === false && fstatSync(fd).nlink === 0) {
        closeSync(fd);
        return undefined;
      }
      return readFromStart(fd, path);
    } catch (err) {
      closeSync(fd);
      if (errno(err) === "ENODEV") return undefined;
      throw err;
    }
  }
}
