// UNIX-socket calls Bun has no API for, through bun:ffi: a plain connected fd to hand to QEMU
// (`x-pci-proxy-dev,fd=N` wants an inherited socket, Bun sockets do not expose theirs), and
// sendmsg with SCM_RIGHTS so tests can send fds the way QEMU does.
import { dlopen, FFIType, ptr, read } from "bun:ffi";
import { unixSocketAddress } from "../socket-path.ts";
import { LIBC } from "../vfio-user/abi.ts";

const { AF_UNIX, SOCK_STREAM, SOCK_CLOEXEC, SOL_SOCKET } = LIBC;
const SCM_RIGHTS = 1;

const symbols = {
  socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  socketpair: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  connect: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  sendmsg: { args: [FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.i64 },
  recv: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
  pipe2: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  __errno_location: { args: [], returns: FFIType.ptr },
  strerror: { args: [FFIType.i32], returns: FFIType.cstring },
} as const;

type Libc = ReturnType<typeof dlopen<typeof symbols>>["symbols"];
let libc: Libc | undefined;
const c = (): Libc => (libc ??= dlopen("libc.so.6", symbols).symbols);

function failure(what: string): Error {
  const p = c().__errno_location();
  const code = p === null ? 0 : read.i32(p, 0);
  return new Error(`${what}: ${String(c().strerror(code))} (errno ${code})`);
}

/**
 * Connects to the UNIX socket at `path`; returns the fd (close-on-exec, blocking). The caller
 * owns it: hand it to a child (spawn's stdio array clears close-on-exec there) and close it.
 */
export function connectUnixSocket(path: string): number {
  const addr = unixSocketAddress(path);
  const fd = c().socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw failure("socket(AF_UNIX)");
  if (c().connect(fd, ptr(addr), addr.length) !== 0) {
    const err = failure(`connect(${path})`);
    c().close(fd);
    throw err;
  }
  return fd;
}

/** A connected pair of UNIX stream sockets (close-on-exec). */
export function unixSocketPair(): [number, number] {
  const fds = new Int32Array(2);
  if (c().socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ptr(fds)) !== 0) throw failure("socketpair(AF_UNIX)");
  return [fds[0]!, fds[1]!];
}

/** A pipe; returns [read end, write end] (close-on-exec). */
export function pipe(): [number, number] {
  const fds = new Int32Array(2);
  if (c().pipe2(ptr(fds), SOCK_CLOEXEC) !== 0) throw failure("pipe2");
  return [fds[0]!, fds[1]!];
}

export function closeFd(fd: number): void {
  c().close(fd);
}

/** Sends all of `bytes` on `fd` in one sendmsg, with `fds` attached as SCM_RIGHTS (QEMU's way). */
export function sendWithFds(fd: number, bytes: Uint8Array, fds: readonly number[] = []): void {
  const iov = new BigUint64Array(2);
  const data = new Uint8Array(bytes); // keep alive for the call
  iov[0] = BigInt(ptr(data));
  iov[1] = BigInt(data.length);
  // struct cmsghdr { size_t len; int level; int type; int fds[] }, padded to 8 bytes.
  const cmsgLen = 16 + 4 * fds.length;
  const control = new Uint8Array(fds.length === 0 ? 8 : (cmsgLen + 7) & ~7);
  if (fds.length > 0) {
    const cv = new DataView(control.buffer);
    cv.setBigUint64(0, BigInt(cmsgLen), true);
    cv.setInt32(8, SOL_SOCKET, true);
    cv.setInt32(12, SCM_RIGHTS, true);
    fds.forEach((f, i) => cv.setInt32(16 + 4 * i, f, true));
  }
  // struct msghdr { void *name; u32 namelen; iovec *iov; size_t iovlen; void *control; size_t controllen; int flags }
  const msg = new BigUint64Array(7);
  msg[2] = BigInt(ptr(iov));
  msg[3] = 1n;
  msg[4] = fds.length === 0 ? 0n : BigInt(ptr(control));
  msg[5] = fds.length === 0 ? 0n : BigInt(control.length);
  const sent = Number(c().sendmsg(fd, ptr(msg), 0));
  if (sent < 0) throw failure("sendmsg");
  if (sent !== data.length) throw new Error(`sendmsg: sent ${sent} of ${data.length} bytes`);
}

const MSG_DONTWAIT = 0x40;

/** Non-blocking recv: the bytes available now (up to `max`), empty when none, null at EOF. */
export function recvNow(fd: number, max: number): Uint8Array | null {
  const buf = new Uint8Array(max);
  const n = Number(c().recv(fd, ptr(buf), max, MSG_DONTWAIT));
  if (n === 0) return null;
  if (n < 0) {
    const p = c().__errno_location();
    const code = p === null ? 0 : read.i32(p, 0);
    if (code === 11) return new Uint8Array(0); // EAGAIN
    throw failure("recv");
  }
  return buf.subarray(0, n);
}
