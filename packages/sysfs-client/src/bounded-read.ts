// Reading sysfs text without trusting the path: a sysfs attribute is a regular file of at most
// one page (the kernel's show buffer), so anything else (a FIFO that would block for ever, a
// 100 MiB file in a fake or tampered tree) is refused before it is read in full.
//
// The system calls are synchronous on purpose (issue 20): a sysfs read is an open, an fstat, one
// read and a close, each a few microseconds, and doing them through the promise API put four
// thread-pool round trips on every attribute (128 µs on the host, 3.7 ms in a TCG guest, against
// 14 µs / 78 µs for a plain pread). O_NONBLOCK keeps the open of a FIFO from waiting, and a
// non-regular file is refused before it is read, so nothing here can block the event loop for
// longer than the kernel's show() takes.
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";

/** PAGE_SIZE: the most a sysfs show() can return. */
export const SYSFS_MAX_BYTES = 4096;

function fsError(code: string, path: string, what: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${path}: ${what}`);
  err.code = code;
  err.path = path;
  return err;
}

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW;

// One buffer for every read of the default size: the reads are synchronous, so no two overlap,
// and the text is decoded out of it before the function returns.
const shared = Buffer.alloc(SYSFS_MAX_BYTES + 1);

/**
 * The file's text, at most `maxBytes` of it. Throws an error whose `code` is the errno name:
 * the open's own (ENOENT, EACCES ...), EINVAL for something that is not a regular file, EFBIG
 * for a file longer than `maxBytes`.
 */
export function readBoundedTextSync(path: string, maxBytes = SYSFS_MAX_BYTES): string {
  const fd = openSync(path, OPEN_FLAGS);
  try {
    if (!fstatSync(fd).isFile()) throw fsError("EINVAL", path, "not a regular file");
    const buf = maxBytes === SYSFS_MAX_BYTES ? shared : Buffer.alloc(maxBytes + 1);
    let got = 0;
    // A regular file (sysfs attributes included: they answer in one read) comes short only at
    // its end, so a short read ends the loop without a second, empty read.
    while (got < buf.length) {
      const bytesRead = readSync(fd, buf, got, buf.length - got, null);
      got += bytesRead;
      if (bytesRead === 0 || got < buf.length) break;
    }
    if (got > maxBytes) throw fsError("EFBIG", path, `longer than ${maxBytes} bytes`);
    return buf.toString("utf8", 0, got);
  } finally {
    closeSync(fd);
  }
}
