// The few libc calls the event loop needs that Bun has no API for: epoll (Bun cannot wait for an
// arbitrary fd), eventfd (wakes the worker from the main thread), errno (libvfio-user reports
// through it), sockets (the devices' listening sockets and the version handshake, see worker.ts),
// setsockopt (receive/send timeouts on client connections), umask, clock_gettime and getrusage
// (the thread CPU time and context switches of the loop's events).
import { dlopen, FFIType, ptr, type Pointer } from "bun:ffi";

const symbols = {
  epoll_create1: { args: [FFIType.i32], returns: FFIType.i32 },
  epoll_ctl: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  epoll_wait: { args: [FFIType.i32, FFIType.ptr, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  eventfd: { args: [FFIType.u32, FFIType.i32], returns: FFIType.i32 },
  memcpy: { args: [FFIType.ptr, FFIType.ptr, FFIType.u64], returns: FFIType.ptr },
  read: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64_fast },
  write: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64_fast },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
  // int open(const char *path, int flags, ...): no mode without O_CREAT.
  open: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  listen: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  bind: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  connect: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  accept4: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  recv: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64_fast },
  send: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64_fast },
  shutdown: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  // int fcntl(int fd, int cmd, ... /* int arg */): the variadic int travels like a fixed one on x86-64.
  fcntl: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  // int ioctl(int fd, unsigned long request, ... /* int *argp */)
  ioctl: { args: [FFIType.i32, FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
  dup3: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  setsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  umask: { args: [FFIType.u32], returns: FFIType.u32 },
  clock_gettime: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  getrusage: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  __errno_location: { args: [], returns: FFIType.ptr },
  strerror: { args: [FFIType.i32], returns: FFIType.cstring },
} as const;

// ssize_t results come back as i64_fast: a plain number for any size a call returns, where
// i64 would allocate a BigInt per call on the event loop's path.
export type Libc = ReturnType<typeof dlopen<typeof symbols>>["symbols"];

let libc: Libc | undefined;
let libcHandle: ReturnType<typeof dlopen<typeof symbols>> | undefined;

export function openLibc(): Libc {
  libcHandle ??= dlopen("libc.so.6", symbols);
  libc ??= libcHandle.symbols;
  return libc;
}


// Per thread (each Worker has its own module instance): errno is copied out with memcpy, not
// read with bun:ffi's read.i32 (see worker.ts on keeping bun:ffi intrinsics out of hot loops).
const errnoIn = new Int32Array(new ArrayBuffer(4));
let errnoInPtr: Pointer | undefined;

/** errno of the calling thread, read right after the failing call. */
export function errno(): number {
  const c = openLibc();
  const p = c.__errno_location();
  if (p === null) return 0;
  errnoInPtr ??= ptr(errnoIn);
  c.memcpy(errnoInPtr, p, 4);
  return errnoIn[0]!;
}

export function strerror(code: number): string {
  return String(openLibc().strerror(code));
}
