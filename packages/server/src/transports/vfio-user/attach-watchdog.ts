// Why this exists: libvfio-user's vfu_attach_ctx accepts a connection and then reads the
// client's VERSION message with a blocking recv(). One worker serves every device, so a client
// that connects and says nothing would freeze all of them. Timeouts on the listening socket do
// not help: an accepted AF_UNIX socket does not inherit them (checked on Linux 6.1).
//
// So the worker tells the main thread when it enters vfu_attach_ctx; if it is still inside
// after the client timeout, the main thread sends the worker thread a real-time signal. Its
// handler (a no-op libc function, installed without SA_RESTART) makes the blocked recv() fail
// with EINTR, libvfio-user drops that client, and the loop carries on. A signal that arrives
// late lands in epoll_wait, which the loop retries on EINTR. Nothing polls: one timer per
// attach, none when idle. After attach the connection gets SO_RCVTIMEO/SO_SNDTIMEO instead.
import { ptr } from "bun:ffi";
import { LAYOUT, WATCHDOG_SIGNAL } from "./abi.ts";
import { errno, libcFunctionPointer, openLibc, strerror } from "./libc.ts";

/** Shared between the threads: [generation of the current attach, 1 while inside vfu_attach_ctx]. */
export function createAttachState(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(8));
}

/** Worker side: install the interrupting handler for WATCHDOG_SIGNAL (process-wide). */
export function installInterruptHandler(): void {
  const libc = openLibc();
  const act = new Uint8Array(LAYOUT.sigaction.size);
  const view = new DataView(act.buffer);
  // gettid is async-signal-safe and ignores its argument: a valid void (*)(int) that does nothing.
  view.setBigUint64(LAYOUT.sigaction.sa_handler, BigInt(libcFunctionPointer("gettid")), true);
  view.setInt32(LAYOUT.sigaction.sa_flags, 0, true); // no SA_RESTART: the recv must fail
  if (libc.sigaction(WATCHDOG_SIGNAL, ptr(act), null) < 0) {
    throw new Error(`sigaction(${WATCHDOG_SIGNAL}) failed: ${strerror(errno())}`);
  }
}

/** Worker side: bracket one vfu_attach_ctx call. */
export function attachBegin(state: Int32Array): number {
  const generation = Atomics.add(state, 0, 1) + 1;
  Atomics.store(state, 1, 1);
  return generation;
}

export function attachEnd(state: Int32Array): void {
  Atomics.store(state, 1, 0);
}

/** Main side: arm a timer for an attach the worker announced. */
export function armAttachWatchdog(state: Int32Array, generation: number, workerTid: number, timeoutMs: number, onFire: () => void): void {
  setTimeout(() => {
    if (Atomics.load(state, 0) !== generation || Atomics.load(state, 1) !== 1) return;
    onFire();
    openLibc().tgkill(process.pid, workerTid, WATCHDOG_SIGNAL);
  }, timeoutMs).unref();
}
