// The few libc calls the event loop needs that Bun has no API for: epoll (Bun cannot wait for an
// arbitrary fd), eventfd (wakes the worker from the main thread), errno (libvfio-user reports
// through it), setsockopt (receive/send timeouts on the listening socket), umask/chmod.
import { dlopen, FFIType, read } from "bun:ffi";

const symbols = {
  epoll_create1: { args: [FFIType.i32], returns: FFIType.i32 },
  epoll_ctl: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
  epoll_wait: { args: [FFIType.i32, FFIType.ptr, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  eventfd: { args: [FFIType.u32, FFIType.i32], returns: FFIType.i32 },
  memcpy: { args: [FFIType.ptr, FFIType.ptr, FFIType.u64], returns: FFIType.ptr },
  read: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
  write: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
  listen: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  setsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  umask: { args: [FFIType.u32], returns: FFIType.u32 },
  __errno_location: { args: [], returns: FFIType.ptr },
  gettid: { args: [], returns: FFIType.i32 },
  tgkill: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  sigaction: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  strerror: { args: [FFIType.i32], returns: FFIType.cstring },
} as const;

export type Libc = ReturnType<typeof dlopen<typeof symbols>>["symbols"];

let libc: Libc | undefined;
let libcHandle: ReturnType<typeof dlopen<typeof symbols>> | undefined;

export function openLibc(): Libc {
  libcHandle ??= dlopen("libc.so.6", symbols);
  libc ??= libcHandle.symbols;
  return libc;
}

/** Address of a libc function, for C code that wants a function pointer (a signal handler). */
export function libcFunctionPointer(name: keyof typeof symbols): number {
  openLibc();
  const fn = libcHandle!.symbols[name] as unknown as { ptr?: number };
  if (typeof fn.ptr !== "number") throw new Error(`no address for libc ${name}`);
  return fn.ptr;
}

/** errno of the calling thread, read right after the failing call. */
export function errno(): number {
  const c = openLibc();
  const p = c.__errno_location();
  return p === null ? 0 : read.i32(p, 0);
}

export function strerror(code: number): string {
  return String(openLibc().strerror(code));
}
