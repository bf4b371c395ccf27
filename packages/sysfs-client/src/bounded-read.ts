// Reading sysfs text without trusting the path: a sysfs attribute is a regular file of at most
// one page (the kernel's show buffer), so anything else (a FIFO that would block for ever, a
// 100 MiB file in a fake or tampered tree) is refused before it is read in full.
import { constants } from "node:fs";
import { open } from "node:fs/promises";

/** PAGE_SIZE: the most a sysfs show() can return. */
export const SYSFS_MAX_BYTES = 4096;

function fsError(code: string, path: string, what: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${path}: ${what}`);
  err.code = code;
  err.path = path;
  return err;
}

/**
 * The file's text, at most `maxBytes` of it. Throws an error whose `code` is the errno name:
 * the open's own (ENOENT, EACCES ...), EINVAL for something that is not a regular file, EFBIG
 * for a file longer than `maxBytes`.
 */
export async function readBoundedText(path: string, maxBytes = SYSFS_MAX_BYTES): Promise<string> {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
  const file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  try {
    if (!(await file.stat()).isFile()) throw fsError("EINVAL", path, "not a regular file");
    const buf = Buffer.alloc(maxBytes + 1);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await file.read(buf, got, buf.length - got, null);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got > maxBytes) throw fsError("EFBIG", path, `longer than ${maxBytes} bytes`);
    return buf.subarray(0, got).toString("utf8");
  } finally {
    await file.close();
  }
}
