// The vfio-user event loop. One Worker holds every libvfio-user context, the JSCallbacks the
// library calls, and the device models. It blocks in epoll_wait over each device's poll fd
// (listening socket, or the client connection once attached) plus one eventfd the main thread
// bumps when it posts a control message. Nothing polls: an idle server sleeps in the kernel, and
// the main thread's JS loop never waits on a device. Register accesses are answered here, in the
// library's callback, with no hop to another thread.
//
// Disconnect handling (docs/transports.md): vfu_run_ctx returns -1/ENOTCONN when the client
// leaves, but after a malformed message it may drop the client and return 0, so the poll fd is
// compared after every call: back to the listening fd means the client is gone, the device
// listens again and keeps its registers.
import { ptr, toArrayBuffer, read } from "bun:ffi";
import type { JSCallback, Pointer } from "bun:ffi";
import { chmodSync, unlinkSync } from "node:fs";
import { LIBC, LIBVFIO_USER, LAYOUT, LOG } from "./abi.ts";
import { attachBegin, attachEnd, installInterruptHandler } from "./attach-watchdog.ts";
import { errno, openLibc, strerror } from "./libc.ts";
import { logCallback, openLibvfioUser, regionAccessCallback, resetCallback } from "./libvfio-user.ts";
import type { AddDeviceRequest, FromWorker, ToWorker, WorkerLogLevel, WorkerStart } from "./protocol.ts";
import { createWorkerDevice, type WorkerDevice } from "./worker-device.ts";

declare const self: Worker;

const MAX_EVENTS = 64;
const LISTEN_BACKLOG = 8;
const SCRATCH_BYTES = 8;
/** epoll data token of the control eventfd; devices use their id (>= 1). */
const CONTROL_TOKEN = 0;
const RANK: Record<WorkerLogLevel | "silent", number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

interface Slot {
  id: number;
  socketPath: string;
  ctx: Pointer;
  device: WorkerDevice;
  listenFd: number;
  /** The fd currently in the epoll set for this device. */
  pollFd: number;
  connected: boolean;
}

const inbox: ToWorker[] = [];
let inboxWaiter: ((m: ToWorker) => void) | undefined;
let started: ((s: WorkerStart) => void) | undefined;

self.onmessage = (event: MessageEvent<WorkerStart | ToWorker>) => {
  const data = event.data;
  if (started) {
    const go = started;
    started = undefined;
    go(data as WorkerStart);
    return;
  }
  const waiter = inboxWaiter;
  if (waiter) {
    inboxWaiter = undefined;
    waiter(data as ToWorker);
  } else inbox.push(data as ToWorker);
};

function nextMessage(): Promise<ToWorker> {
  const queued = inbox.shift();
  if (queued) return Promise.resolve(queued);
  return new Promise((resolve) => (inboxWaiter = resolve));
}

function post(message: FromWorker): void {
  self.postMessage(message);
}

async function main(): Promise<void> {
  const start = await new Promise<WorkerStart>((resolve) => (started = resolve));
  const minRank = RANK[start.logLevel];
  const log = (level: WorkerLogLevel, message: string) => {
    if (RANK[level] >= minRank) post({ type: "log", level, message });
  };

  const libc = openLibc();
  installInterruptHandler();
  const { lib, path: libraryPath } = openLibvfioUser({ ...process.env, LIBVFIO_USER_PATH: start.libraryPath });

  const epfd = libc.epoll_create1(LIBC.EPOLL_CLOEXEC);
  const eventFd = libc.eventfd(0, LIBC.EFD_CLOEXEC | LIBC.EFD_NONBLOCK);
  if (epfd < 0 || eventFd < 0) {
    post({ type: "fatal", message: `epoll_create1/eventfd failed: ${strerror(errno())}` });
    return;
  }

  // Every buffer native code reads or writes is ArrayBuffer-backed from the start: a small
  // typed array's storage moves when its .buffer is first materialised (subarray, DataView),
  // which would leave an earlier ptr() pointing at the old copy.
  const eventBuf = new Uint8Array(new ArrayBuffer(LAYOUT.epoll_event.size));
  const eventView = new DataView(eventBuf.buffer);
  const epollCtl = (op: number, fd: number, token: number): number => {
    eventView.setUint32(LAYOUT.epoll_event.events, LIBC.EPOLLIN, true);
    eventView.setBigUint64(LAYOUT.epoll_event.data, BigInt(token), true);
    return libc.epoll_ctl(epfd, op, fd, ptr(eventBuf));
  };
  if (epollCtl(LIBC.EPOLL_CTL_ADD, eventFd, CONTROL_TOKEN) < 0) {
    post({ type: "fatal", message: `epoll_ctl(eventfd) failed: ${strerror(errno())}` });
    return;
  }

  const slots = new Map<number, Slot>();
  const byCtx = new Map<Pointer, Slot>();

  const scratch = new Uint8Array(new ArrayBuffer(SCRATCH_BYTES));
  const scratchViews = Array.from({ length: SCRATCH_BYTES + 1 }, (_, n) => scratch.subarray(0, n));
  const scratchPtr = ptr(scratch);

  // One callback of each kind for all devices, dispatched on the context pointer.
  const setErrno = (code: number) => {
    const p = libc.__errno_location();
    if (p !== null) new Int32Array(toArrayBuffer(p, 0, 4))[0] = code;
  };
  // libvfio-user's info messages are its internals ("vfu_reset_ctx: ..." on every teardown);
  // our own lines say what a user needs (connected, disconnected, reset), so they go to debug.
  const vfuLogLevel: Record<number, WorkerLogLevel> = { [LOG.LOG_ERR]: "error", [LOG.LOG_WARNING]: "warn", [LOG.LOG_INFO]: "debug", [LOG.LOG_DEBUG]: "debug" };
  const callbacks: JSCallback[] = [
    logCallback((ctx, level, message) => {
      const slot = byCtx.get(ctx);
      log(vfuLogLevel[level] ?? "info", `${slot?.socketPath ?? "libvfio-user"}: ${message}`);
    }),
    regionAccessCallback((ctx, buf, count, offset, isWrite) => {
      const slot = byCtx.get(ctx);
      if (!slot || buf === 0 || count <= 0 || offset < 0 || offset + count > slot.device.bar0SizeBytes) {
        log("warn", `${slot?.socketPath ?? "?"}: bad BAR0 access offset ${offset} count ${count}`);
        setErrno(22 /* EINVAL */);
        return -1;
      }
      try {
        if (count <= SCRATCH_BYTES) {
          // The common case (1..8-byte register accesses) goes through a fixed scratch buffer
          // and memcpy: a fresh view of the library's buffer (toArrayBuffer) costs ~0.5 µs.
          const view = scratchViews[count]!;
          if (isWrite) {
            libc.memcpy(scratchPtr, buf, count);
            slot.device.bar0Write(offset, view);
          } else {
            slot.device.bar0Read(offset, view);
            libc.memcpy(buf, scratchPtr, count);
          }
        } else {
          const bytes = new Uint8Array(toArrayBuffer(buf, 0, count));
          if (isWrite) slot.device.bar0Write(offset, bytes);
          else slot.device.bar0Read(offset, bytes);
        }
      } catch (err) {
        log("error", `${slot.socketPath}: BAR0 ${isWrite ? "write" : "read"} at 0x${offset.toString(16)}: ${String(err)}`);
        setErrno(22);
        return -1;
      }
      return count;
    }),
    regionAccessCallback((ctx, buf, count, offset, isWrite) => {
      // Config space beyond the standard header (PCIe capability, SR-IOV at 0x100), answered
      // by the device model through its write masks. libvfio-user answers the 64-byte header
      // itself from the image copied in at set-up (BARs and command register included).
      const slot = byCtx.get(ctx);
      if (!slot || buf === 0 || count <= 0 || offset < 0 || offset + count > LIBVFIO_USER.PCI_CFG_SPACE_EXP_SIZE) {
        setErrno(22);
        return -1;
      }
      try {
        const bytes = new Uint8Array(toArrayBuffer(buf, 0, count));
        if (isWrite) slot.device.configWrite(offset, bytes);
        else slot.device.configRead(offset, bytes);
      } catch (err) {
        // An exception must not unwind through libvfio-user's C frames.
        log("error", `${slot.socketPath}: config ${isWrite ? "write" : "read"} at 0x${offset.toString(16)}: ${String(err)}`);
        setErrno(22);
        return -1;
      }
      return count;
    }),
    resetCallback((ctx, type) => {
      const slot = byCtx.get(ctx);
      if (!slot) return 0;
      // A lost connection is not a reset: the guest may come back and expects its registers.
      if (type === LIBVFIO_USER.VFU_RESET_DEVICE || type === LIBVFIO_USER.VFU_RESET_PCI_FLR) {
        try {
          slot.device.reset();
        } catch (err) {
          log("error", `${slot.socketPath}: reset failed: ${String(err)}`);
          setErrno(22);
          return -1;
        }
      }
      return 0;
    }),
  ];
  const [logCb, bar0Cb, configCb, resetCb] = callbacks.map((cb) => {
    if (cb.ptr === null) throw new Error("bun:ffi gave a JSCallback no address");
    return cb.ptr;
  }) as [Pointer, Pointer, Pointer, Pointer];

  const timeout = new Uint8Array(new ArrayBuffer(LAYOUT.timeval.size));
  const timeoutView = new DataView(timeout.buffer);
  timeoutView.setBigInt64(LAYOUT.timeval.tv_sec, BigInt(Math.floor(start.clientTimeoutMs / 1000)), true);
  timeoutView.setBigInt64(LAYOUT.timeval.tv_usec, BigInt((start.clientTimeoutMs % 1000) * 1000), true);

  const addDevice = (req: AddDeviceRequest): void => {
    const fail = (what: string, code = errno()): never => {
      throw new Error(`${req.socketPath}: ${what} failed: ${strerror(code)}`);
    };
    const device = createWorkerDevice(req, {
      log: (level, message) => log(level, `${req.socketPath}: ${message}`),
      registerWrite: (name, value, previous) => post({ type: "register-write", id: req.id, name, value, previous }),
    });
    const pathBuf = Buffer.from(`${req.socketPath}\0`, "utf8");
    // The socket is bound inside vfu_create_ctx; the umask makes it private from its first
    // instant, chmod then sets exactly the mode asked for.
    const oldMask = libc.umask(0o777 & ~req.socketMode);
    const ctx = lib.vfu_create_ctx(LIBVFIO_USER.VFU_TRANS_SOCK, ptr(pathBuf), LIBVFIO_USER.LIBVFIO_USER_FLAG_ATTACH_NB, null, LIBVFIO_USER.VFU_DEV_TYPE_PCI) as Pointer | null;
    const createErrno = errno();
    libc.umask(oldMask);
    if (ctx === null) return fail("vfu_create_ctx", createErrno);
    const slot: Slot = { id: req.id, socketPath: req.socketPath, ctx, device, listenFd: -1, pollFd: -1, connected: false };
    byCtx.set(ctx, slot);
    try {
      chmodSync(req.socketPath, req.socketMode);
      if (lib.vfu_setup_log(ctx, logCb, start.logLevel === "debug" ? LOG.LOG_DEBUG : LOG.LOG_WARNING) < 0) fail("vfu_setup_log");
      if (lib.vfu_pci_init(ctx, LIBVFIO_USER.VFU_PCI_TYPE_EXPRESS, LIBVFIO_USER.PCI_HEADER_TYPE_NORMAL, 0) < 0) fail("vfu_pci_init");
      const cfgPtr = lib.vfu_pci_get_config_space(ctx);
      if (cfgPtr === null) fail("vfu_pci_get_config_space");
      // The whole image goes in (revision, status, capability pointer, PCIe capability);
      // set_id/set_class then state the identity explicitly, from the same image.
      const image = device.configImage();
      new Uint8Array(toArrayBuffer(cfgPtr!, 0, LIBVFIO_USER.PCI_CFG_SPACE_EXP_SIZE)).set(image.subarray(0, LIBVFIO_USER.PCI_CFG_SPACE_EXP_SIZE));
      const cfg = new DataView(image.buffer, image.byteOffset, image.byteLength);
      lib.vfu_pci_set_id(ctx, cfg.getUint16(0x00, true), cfg.getUint16(0x02, true), cfg.getUint16(0x2c, true), cfg.getUint16(0x2e, true));
      lib.vfu_pci_set_class(ctx, cfg.getUint8(0x0b), cfg.getUint8(0x0a), cfg.getUint8(0x09));
      if (lib.vfu_setup_region(ctx, LIBVFIO_USER.VFU_PCI_DEV_BAR0_REGION_IDX, BigInt(device.bar0SizeBytes), bar0Cb,
        LIBVFIO_USER.VFU_REGION_FLAG_RW | LIBVFIO_USER.VFU_REGION_FLAG_MEM, null, 0, -1, 0n) < 0) fail("vfu_setup_region(BAR0)");
      if (lib.vfu_setup_region(ctx, LIBVFIO_USER.VFU_PCI_DEV_CFG_REGION_IDX, BigInt(LIBVFIO_USER.PCI_CFG_SPACE_EXP_SIZE), configCb,
        LIBVFIO_USER.VFU_REGION_FLAG_RW, null, 0, -1, 0n) < 0) fail("vfu_setup_region(config)");
      if (lib.vfu_setup_device_reset_cb(ctx, resetCb) < 0) fail("vfu_setup_device_reset_cb");
      if (lib.vfu_realize_ctx(ctx) < 0) fail("vfu_realize_ctx");
      // Not attached yet: the poll fd is the listening socket.
      slot.listenFd = lib.vfu_get_poll_fd(ctx);
      if (slot.listenFd < 0) fail("vfu_get_poll_fd");
      // libvfio-user listens with a backlog of 0: a client reconnecting before the server has
      // accepted the previous connection is refused. Let a few wait instead (served in turn).
      if (libc.listen(slot.listenFd, LISTEN_BACKLOG) < 0) fail("listen");
      slot.pollFd = slot.listenFd;
      if (epollCtl(LIBC.EPOLL_CTL_ADD, slot.pollFd, slot.id) < 0) fail("epoll_ctl(ADD)");
    } catch (err) {
      byCtx.delete(ctx);
      lib.vfu_destroy_ctx(ctx);
      removeSocket(req.socketPath);
      throw err;
    }
    slots.set(slot.id, slot);
    log("info", `${slot.socketPath}: listening (${req.kind})`);
  };

  const removeSocket = (path: string) => {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  };

  const removeDevice = (slot: Slot): void => {
    epollCtl(LIBC.EPOLL_CTL_DEL, slot.pollFd, slot.id);
    slots.delete(slot.id);
    lib.vfu_destroy_ctx(slot.ctx);
    byCtx.delete(slot.ctx);
    removeSocket(slot.socketPath);
    log("info", `${slot.socketPath}: removed`);
  };

  /** After any library call: follow the poll fd (attach, disconnect, dropped client). */
  const followPollFd = (slot: Slot): void => {
    const fd = lib.vfu_get_poll_fd(slot.ctx);
    if (fd === slot.pollFd) return;
    // The old fd may already be closed by the library (EBADF) or gone from the set: ignore.
    epollCtl(LIBC.EPOLL_CTL_DEL, slot.pollFd, slot.id);
    slot.pollFd = fd;
    if (fd >= 0 && epollCtl(LIBC.EPOLL_CTL_ADD, fd, slot.id) < 0) log("error", `${slot.socketPath}: epoll_ctl(ADD ${fd}) failed: ${strerror(errno())}`);
    const connected = fd !== slot.listenFd;
    if (connected && fd >= 0) {
      // A client that stops in the middle of a message (or stops reading replies) holds the
      // shared loop in libvfio-user's blocking recv/send for at most this long.
      if (libc.setsockopt(fd, LIBC.SOL_SOCKET, LIBC.SO_RCVTIMEO, ptr(timeout), LAYOUT.timeval.size) < 0 ||
        libc.setsockopt(fd, LIBC.SOL_SOCKET, LIBC.SO_SNDTIMEO, ptr(timeout), LAYOUT.timeval.size) < 0) {
        log("warn", `${slot.socketPath}: setsockopt on the client socket failed: ${strerror(errno())}`);
      }
    }
    if (connected !== slot.connected) {
      slot.connected = connected;
      log("info", `${slot.socketPath}: client ${connected ? "connected" : "disconnected; listening again, registers kept"}`);
      post({ type: "client", id: slot.id, connected });
    }
  };

  const service = (slot: Slot): void => {
    if (!slot.connected) {
      post({ type: "attaching", id: slot.id, generation: attachBegin(start.attachState) });
      const r = lib.vfu_attach_ctx(slot.ctx);
      const e = errno();
      attachEnd(start.attachState);
      if (r < 0 && e === LIBC.EINTR) log("warn", `${slot.socketPath}: client sent no VERSION within ${start.clientTimeoutMs} ms; dropped it`);
      else if (r < 0 && e !== LIBC.EAGAIN) log("warn", `${slot.socketPath}: client refused during negotiation: ${strerror(e)}`);
    } else if (lib.vfu_run_ctx(slot.ctx) < 0) {
      const e = errno();
      if (e !== LIBC.ENOTCONN && e !== LIBC.EAGAIN && e !== LIBC.EINTR) log("warn", `${slot.socketPath}: vfu_run_ctx: ${strerror(e)}`);
    }
    followPollFd(slot);
  };

  const counter = new BigUint64Array(new ArrayBuffer(8));
  const counterPtr = ptr(counter);
  const events = new Uint8Array(new ArrayBuffer(LAYOUT.epoll_event.size * MAX_EVENTS));
  const eventsPtr = ptr(events);
  post({ type: "ready", eventFd, libraryPath, tid: libc.gettid() });

  for (;;) {
    const n = libc.epoll_wait(epfd, eventsPtr, MAX_EVENTS, -1);
    if (n < 0) {
      const e = errno();
      if (e === LIBC.EINTR) continue;
      post({ type: "fatal", message: `epoll_wait failed: ${strerror(e)}` });
      return;
    }
    let control = 0;
    for (let i = 0; i < n; i++) {
      // Tokens are small (device ids), so the low half of the u64 data field holds them.
      const token = read.u32(eventsPtr, i * LAYOUT.epoll_event.size + LAYOUT.epoll_event.data);
      if (token === CONTROL_TOKEN) {
        if (Number(libc.read(eventFd, counterPtr, 8)) === 8) control += Number(counter[0]);
        continue;
      }
      const slot = slots.get(token);
      if (slot) service(slot);
    }
    for (; control > 0; control--) {
      const msg = await nextMessage();
      if (msg.type === "add") {
        try {
          addDevice(msg);
          post({ type: "added", id: msg.id });
        } catch (err) {
          post({ type: "add-failed", id: msg.id, message: err instanceof Error ? err.message : String(err) });
        }
      } else if (msg.type === "remove") {
        const slot = slots.get(msg.id);
        if (slot) removeDevice(slot);
        post({ type: "removed", id: msg.id });
      } else {
        for (const slot of [...slots.values()]) removeDevice(slot);
        libc.close(eventFd);
        libc.close(epfd);
        for (const cb of callbacks) cb.close();
        post({ type: "closed" });
        return;
      }
    }
  }
}

main().catch((err: unknown) => post({ type: "fatal", message: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
