// The vfio-user event loop. One Worker holds every libvfio-user context, the JSCallbacks the
// library calls, and the device models. It blocks in epoll_wait over each device's fds plus one
// eventfd the main thread bumps when it posts a control message. Nothing polls: an idle server
// sleeps in the kernel, and the main thread's JS loop never waits on a device. Register accesses
// are answered here, in the library's callback, with no hop to another thread.
//
// Two rules keep one process serving for as long as it runs (issue 17):
// - Nothing per event is posted to the main thread. This thread's own JS event loop almost never
//   runs, and a postMessage per connection from here crashed Bun's main thread after ~20,000
//   connections. Logs, client and register-write events go into a SharedArrayBuffer ring
//   (event-ring.ts) and counters into a shared Int32Array; the main thread reads both.
// - No client can hold the loop. libvfio-user's vfu_attach_ctx accepts and then blocks reading
//   the client's VERSION message, even with LIBVFIO_USER_FLAG_ATTACH_NB. So the library listens
//   on a socket nobody else can reach (see addDevice), and this loop owns the public socket: it accepts
//   without blocking, waits in epoll (with a deadline) until the client's whole VERSION message
//   has arrived, then connects to the library's private socket, forwards that message, calls
//   vfu_attach_ctx (which now finds its data and cannot block), passes the library's reply back,
//   and finally puts the client's connection in place of the relay with dup3 on the very fd
//   number the library holds. From then on libvfio-user talks to the client directly.
//
// Disconnect handling (docs/transports.md): vfu_run_ctx returns -1/ENOTCONN when the client
// leaves, but after a malformed message it may drop the client and return 0, so the poll fd is
// compared after every call: back to the library's listening fd means the client is gone, the
// device listens again on its public socket and keeps its registers.
import { ptr } from "bun:ffi";
import type { JSCallback, Pointer } from "bun:ffi";
import { chmodSync, mkdtempSync, rmdirSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LIBC, LIBVFIO_USER, LAYOUT, LOG } from "./abi.ts";
import { EventRing } from "./event-ring.ts";
import { errno, openLibc, strerror, type Libc } from "./libc.ts";
import { logCallback, openLibvfioUser, regionAccessCallback, resetCallback } from "./libvfio-user.ts";
import { COUNTER, type AddDeviceRequest, type FromWorker, type RingEvent, type ToWorker, type WorkerLogLevel, type WorkerStart } from "./protocol.ts";
import { createWorkerDevice, type WorkerDevice } from "./worker-device.ts";
import { HEADER_BYTES, VfioUserCommand } from "../../client/vfio-user-protocol.ts";
import { PCI_CFG } from "../../device/pci-constants.ts";
import { umaskFor, unixSocketAddress } from "../socket-path.ts";

declare const self: Worker;

const MAX_EVENTS = 64;
/** Clients connecting faster than the loop accepts wait here instead of being refused. */
const LISTEN_BACKLOG = 128;
const SCRATCH_BYTES = 8;
/** Larger than any VERSION a client needs (its JSON capabilities); bigger first messages are refused. */
const MAX_VERSION_BYTES = 64 * 1024;
/** Above this a message may never fit the socket's queue at once: the library reads it as it comes. */
const MAX_QUEUED_MESSAGE_BYTES = 64 * 1024;
/** Handshakes waiting for their VERSION, per device and in all. Beyond: closed at once. */
const MAX_PENDING_PER_DEVICE = 32;
const MAX_PENDING = 512;
/**
 * epoll data tokens: the control eventfd is 0; a device's client connection is its id
 * (1 .. 2^19-1), its public listening socket id + PUBLIC_TOKEN; handshakes from 2^20 on.
 */
const CONTROL_TOKEN = 0;
const PUBLIC_TOKEN = 1 << 19;
const FIRST_HANDSHAKE_TOKEN = 1 << 20;
/** An attached client: readable, and hang-ups reported even while part of a message waits. */
const CONN_EVENTS = LIBC.EPOLLIN | LIBC.EPOLLRDHUP;
/** An event that holds the loop longer than this is logged: every other device waited for it. */
const SLOW_EVENT_MICROS = 20_000;
const RANK: Record<WorkerLogLevel | "silent", number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

interface Slot {
  id: number;
  socketPath: string;
  /** O_PATH fd of libvfio-user's (unlinked) socket file, and the sockaddr_un naming it via /proc. */
  libraryPathFd: number;
  privateAddr: Uint8Array;
  privateAddrPtr: Pointer;
  ctx: Pointer;
  device: WorkerDevice;
  /** Our listening socket at socketPath. */
  publicFd: number;
  /** libvfio-user's listening fd (its poll fd while no client is attached). */
  libraryListenFd: number;
  /** The attached client's fd (libvfio-user's poll fd), or -1. */
  connFd: number;
  /**
   * Part of a message is queued: the fd is watched edge-triggered until more arrives, so the
   * loop neither spins on it nor lets libvfio-user block reading the rest.
   */
  partial: boolean;
  pending: Set<Handshake>;
}

/** A client accepted on a public socket that has not yet sent its whole VERSION message. */
interface Handshake {
  token: number;
  fd: number;
  slot: Slot;
  deadline: number;
  /**
   * Its whole VERSION arrived while another client held the device: watched only for a hang-up,
   * no deadline, it waits its turn (as it would in a backlog) and is looked at again on detach.
   */
  parked: boolean;
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

/** Replies to control messages only (ready, added, removed, closed, fatal): never per event. */
function post(message: FromWorker): void {
  self.postMessage(message);
}

async function main(): Promise<void> {
  const start = await new Promise<WorkerStart>((resolve) => (started = resolve));
  const minRank = RANK[start.logLevel];
  const ring = new EventRing(start.events);
  const counters = start.counters;
  const emit = (event: RingEvent) => ring.push(JSON.stringify(event));
  const log = (level: WorkerLogLevel, message: string) => {
    if (RANK[level] >= minRank) emit({ type: "log", level, message });
  };
  const count = (slot: number) => Atomics.add(counters, slot, 1);

  const libc: Libc = openLibc();
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
  // Every pointer handed to C is taken once, here, and every byte C leaves for us is read
  // through a DataView or a memcpy into our own buffer: no bun:ffi read.*, toArrayBuffer or
  // per-call ptr() in the loop. With those in the hot path the optimizing JIT (DFG) crashed
  // this thread after some thousands of connections; see docs/transports.md.
  const eventBufPtr = ptr(eventBuf);
  const epollCtl = (op: number, fd: number, token: number, events: number = LIBC.EPOLLIN): number => {
    eventView.setUint32(LAYOUT.epoll_event.events, events, true);
    eventView.setBigUint64(LAYOUT.epoll_event.data, BigInt(token), true);
    return libc.epoll_ctl(epfd, op, fd, eventBufPtr);
  };
  if (epollCtl(LIBC.EPOLL_CTL_ADD, eventFd, CONTROL_TOKEN) < 0) {
    post({ type: "fatal", message: `epoll_ctl(eventfd) failed: ${strerror(errno())}` });
    return;
  }

  const slots = new Map<number, Slot>();
  const byCtx = new Map<Pointer, Slot>();
  const handshakes = new Map<number, Handshake>();
  let nextHandshakeToken = FIRST_HANDSHAKE_TOKEN;

  const scratch = new Uint8Array(new ArrayBuffer(SCRATCH_BYTES));
  const scratchViews = Array.from({ length: SCRATCH_BYTES + 1 }, (_, n) => scratch.subarray(0, n));
  const scratchPtr = ptr(scratch);

  // One callback of each kind for all devices, dispatched on the context pointer.
  const errnoOut = new Int32Array(new ArrayBuffer(4));
  const errnoOutPtr = ptr(errnoOut);
  const setErrno = (code: number) => {
    const p = libc.__errno_location();
    errnoOut[0] = code;
    if (p !== null) libc.memcpy(p, errnoOutPtr, 4);
  };
  // Accesses wider than 8 bytes (up to a whole 4 KiB region) go through this buffer.
  const wide = new Uint8Array(new ArrayBuffer(LIBVFIO_USER.PCI_CFG_SPACE_EXP_SIZE));
  const widePtr = ptr(wide);
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
          const bytes = wide.subarray(0, count);
          if (isWrite) {
            libc.memcpy(widePtr, buf, count);
            slot.device.bar0Write(offset, bytes);
          } else {
            slot.device.bar0Read(offset, bytes);
            libc.memcpy(buf, widePtr, count);
          }
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
        const bytes = wide.subarray(0, count);
        if (isWrite) {
          libc.memcpy(widePtr, buf, count);
          slot.device.configWrite(offset, bytes);
        } else {
          slot.device.configRead(offset, bytes);
          libc.memcpy(buf, widePtr, count);
        }
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
  const timeoutPtr = ptr(timeout);
  const message = new Uint8Array(new ArrayBuffer(MAX_VERSION_BYTES));
  const messagePtr = ptr(message);
  const messageView = new DataView(message.buffer);
  const queuedBytes = new Int32Array(new ArrayBuffer(4));
  const queuedPtr = ptr(queuedBytes);

  /** A listening UNIX socket at `path`, created with `mode` from its first instant. */
  const listenAt = (path: string, mode: number): number => {
    const fd = libc.socket(LIBC.AF_UNIX, LIBC.SOCK_STREAM | LIBC.SOCK_CLOEXEC | LIBC.SOCK_NONBLOCK, 0);
    if (fd < 0) throw new Error(`${path}: socket failed: ${strerror(errno())}`);
    const addr = unixSocketAddress(path);
    // bind creates the file with 0777 & ~umask: the umask makes it exactly `mode` at once.
    const oldMask = libc.umask(umaskFor(mode));
    const bound = libc.bind(fd, ptr(addr), LAYOUT.sockaddr_un.size);
    const bindErrno = errno();
    libc.umask(oldMask);
    if (bound < 0 || libc.listen(fd, LISTEN_BACKLOG) < 0) {
      const code = bound < 0 ? bindErrno : errno();
      libc.close(fd);
      if (bound >= 0) removeSocket(path);
      throw new Error(`${path}: ${bound < 0 ? "bind" : "listen"} failed: ${strerror(code)}`);
    }
    return fd;
  };

  const addDevice = (req: AddDeviceRequest): void => {
    const fail = (what: string, code = errno()): never => {
      throw new Error(`${req.socketPath}: ${what} failed: ${strerror(code)}`);
    };
    const device = createWorkerDevice(req, {
      log: (level, message) => log(level, `${req.socketPath}: ${message}`),
      registerWrite: (name, value, previous) => emit({ type: "register-write", id: req.id, name, value: String(value), previous: String(previous) }),
    });
    // libvfio-user binds its socket in a fresh 0700 folder. The worker keeps an O_PATH fd to
    // that socket file and removes the file and the folder at once: it reaches the socket
    // through /proc/self/fd/N, nobody else can, and nothing is left on disk, even if the
    // process is killed.
    const privateDir = mkdtempSync(join(tmpdir(), "mock-accel-vfu-"));
    const privatePath = join(privateDir, "s");
    const pathBuf = Buffer.from(`${privatePath}\0`, "utf8");
    let ctx: Pointer | null;
    let pathFd = -1;
    try {
      const oldMask = libc.umask(0o177);
      ctx = lib.vfu_create_ctx(LIBVFIO_USER.VFU_TRANS_SOCK, ptr(pathBuf), LIBVFIO_USER.LIBVFIO_USER_FLAG_ATTACH_NB, null, LIBVFIO_USER.VFU_DEV_TYPE_PCI) as Pointer | null;
      const createErrno = errno();
      libc.umask(oldMask);
      if (ctx === null) return fail("vfu_create_ctx", createErrno);
      pathFd = libc.open(ptr(pathBuf), LIBC.O_PATH | LIBC.O_CLOEXEC);
      if (pathFd < 0) {
        const e = errno();
        lib.vfu_destroy_ctx(ctx);
        return fail("open(O_PATH) of libvfio-user's socket", e);
      }
    } finally {
      removeSocket(privatePath);
      rmdirSync(privateDir);
    }
    const privateAddr = unixSocketAddress(`/proc/self/fd/${pathFd}`);
    const slot: Slot = { id: req.id, socketPath: req.socketPath, libraryPathFd: pathFd, privateAddr, privateAddrPtr: ptr(privateAddr), ctx, device, publicFd: -1, libraryListenFd: -1, connFd: -1, partial: false, pending: new Set() };
    byCtx.set(ctx, slot);
    try {
      // libvfio-user's own log only at debug level: about hostile clients it says nothing ours
      // do not (refused, dropped), in one to three lines per malformed message.
      if (start.logLevel === "debug" && lib.vfu_setup_log(ctx, logCb, LOG.LOG_DEBUG) < 0) fail("vfu_setup_log");
      if (lib.vfu_pci_init(ctx, LIBVFIO_USER.VFU_PCI_TYPE_EXPRESS, LIBVFIO_USER.PCI_HEADER_TYPE_NORMAL, 0) < 0) fail("vfu_pci_init");
      const cfgPtr = lib.vfu_pci_get_config_space(ctx);
      if (cfgPtr === null) fail("vfu_pci_get_config_space");
      // The whole image goes in (revision, status, capability pointer, PCIe capability);
      // set_id/set_class then state the identity explicitly, from the same image.
      const image = device.configImage();
      wide.set(image.subarray(0, LIBVFIO_USER.PCI_CFG_SPACE_EXP_SIZE));
      libc.memcpy(cfgPtr!, widePtr, LIBVFIO_USER.PCI_CFG_SPACE_EXP_SIZE);
      const cfg = new DataView(image.buffer, image.byteOffset, image.byteLength);
      lib.vfu_pci_set_id(ctx, cfg.getUint16(PCI_CFG.VENDOR_ID, true), cfg.getUint16(PCI_CFG.DEVICE_ID, true), cfg.getUint16(PCI_CFG.SUBSYSTEM_VENDOR_ID, true), cfg.getUint16(PCI_CFG.SUBSYSTEM_ID, true));
      lib.vfu_pci_set_class(ctx, cfg.getUint8(PCI_CFG.CLASS_DEVICE + 1), cfg.getUint8(PCI_CFG.CLASS_DEVICE), cfg.getUint8(PCI_CFG.CLASS_PROG));
      if (lib.vfu_setup_region(ctx, LIBVFIO_USER.VFU_PCI_DEV_BAR0_REGION_IDX, BigInt(device.bar0SizeBytes), bar0Cb,
        LIBVFIO_USER.VFU_REGION_FLAG_RW | LIBVFIO_USER.VFU_REGION_FLAG_MEM, null, 0, -1, 0n) < 0) fail("vfu_setup_region(BAR0)");
      if (lib.vfu_setup_region(ctx, LIBVFIO_USER.VFU_PCI_DEV_CFG_REGION_IDX, BigInt(LIBVFIO_USER.PCI_CFG_SPACE_EXP_SIZE), configCb,
        LIBVFIO_USER.VFU_REGION_FLAG_RW, null, 0, -1, 0n) < 0) fail("vfu_setup_region(config)");
      if (lib.vfu_setup_device_reset_cb(ctx, resetCb) < 0) fail("vfu_setup_device_reset_cb");
      if (lib.vfu_realize_ctx(ctx) < 0) fail("vfu_realize_ctx");
      // Not attached yet: the poll fd is the library's listening socket.
      slot.libraryListenFd = lib.vfu_get_poll_fd(ctx);
      if (slot.libraryListenFd < 0) fail("vfu_get_poll_fd");
      slot.publicFd = listenAt(req.socketPath, req.socketMode);
      // Exactly the mode asked for, whatever bits the umask could not express.
      chmodSync(req.socketPath, req.socketMode);
      if (epollCtl(LIBC.EPOLL_CTL_ADD, slot.publicFd, slot.id + PUBLIC_TOKEN) < 0) fail("epoll_ctl(ADD)");
    } catch (err) {
      byCtx.delete(ctx);
      lib.vfu_destroy_ctx(ctx);
      libc.close(pathFd);
      if (slot.publicFd >= 0) {
        libc.close(slot.publicFd);
        removeSocket(req.socketPath);
      }
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

  const dropHandshake = (h: Handshake): void => {
    handshakes.delete(h.token);
    h.slot.pending.delete(h);
    // Closing removes the fd from the epoll set.
    libc.close(h.fd);
  };

  const removeDevice = (slot: Slot): void => {
    for (const h of [...slot.pending]) dropHandshake(h);
    if (slot.connFd >= 0) epollCtl(LIBC.EPOLL_CTL_DEL, slot.connFd, slot.id);
    epollCtl(LIBC.EPOLL_CTL_DEL, slot.publicFd, slot.id + PUBLIC_TOKEN);
    slots.delete(slot.id);
    lib.vfu_destroy_ctx(slot.ctx);
    byCtx.delete(slot.ctx);
    libc.close(slot.publicFd);
    removeSocket(slot.socketPath);
    libc.close(slot.libraryPathFd);
    log("info", `${slot.socketPath}: removed`);
  };

  /** The public socket is readable: take every waiting client, without blocking. */
  const acceptClients = (slot: Slot): void => {
    for (;;) {
      const fd = libc.accept4(slot.publicFd, null, null, LIBC.SOCK_NONBLOCK | LIBC.SOCK_CLOEXEC);
      if (fd < 0) return; // EAGAIN: none left (or a transient error; epoll says when to retry)
      count(COUNTER.accepted);
      if (slot.pending.size >= MAX_PENDING_PER_DEVICE || handshakes.size >= MAX_PENDING) {
        // Make room by dropping the oldest client still silent: a real client sends its VERSION
        // at once, so under a flood of silent ones it is the newcomer that deserves the place.
        count(COUNTER.overflow);
        let oldest: Handshake | undefined;
        for (const h of slot.pending) if (!h.parked && (!oldest || h.deadline < oldest.deadline)) oldest = h;
        if (!oldest || handshakes.size >= MAX_PENDING) {
          libc.close(fd);
          continue;
        }
        dropHandshake(oldest);
      }
      const h: Handshake = { token: nextHandshakeToken, fd, slot, deadline: performance.now() + start.clientTimeoutMs, parked: false };
      nextHandshakeToken = nextHandshakeToken >= 0x7fffffff ? FIRST_HANDSHAKE_TOKEN : nextHandshakeToken + 1;
      if (epollCtl(LIBC.EPOLL_CTL_ADD, fd, h.token) < 0) {
        libc.close(fd);
        continue;
      }
      handshakes.set(h.token, h);
      slot.pending.add(h);
    }
  };

  /** Bytes of the client's first message now queued on its socket: the whole VERSION, or not yet. */
  const versionStatus = (h: Handshake): "wait" | "bad" | number => {
    const got = Number(libc.recv(h.fd, messagePtr, HEADER_BYTES, LIBC.MSG_PEEK | LIBC.MSG_DONTWAIT));
    if (got === 0) return "bad"; // closed before saying anything
    if (got < 0) return errno() === LIBC.EAGAIN ? "wait" : "bad";
    if (got < HEADER_BYTES) return "wait";
    const size = messageView.getUint32(4, true);
    if (messageView.getUint16(2, true) !== VfioUserCommand.VERSION || size < HEADER_BYTES || size > MAX_VERSION_BYTES) return "bad";
    const all = Number(libc.recv(h.fd, messagePtr, size, LIBC.MSG_PEEK | LIBC.MSG_DONTWAIT));
    if (all === size) return size;
    return all < 0 && errno() !== LIBC.EAGAIN ? "bad" : "wait";
  };

  /** The client's VERSION is all there: hand the client to libvfio-user (see the top of this file). */
  const attach = (h: Handshake, size: number): void => {
    const slot = h.slot;
    dropFromPending(h);
    let relay = -1;
    const refuse = (why: string) => {
      count(COUNTER.handshakeRefused);
      log("warn", `${slot.socketPath}: client refused during negotiation: ${why}`);
      if (relay >= 0) libc.close(relay);
      libc.close(h.fd);
    };
    if (Number(libc.recv(h.fd, messagePtr, size, LIBC.MSG_DONTWAIT)) !== size) return refuse("its VERSION message went missing");
    relay = libc.socket(LIBC.AF_UNIX, LIBC.SOCK_STREAM | LIBC.SOCK_CLOEXEC, 0);
    if (relay < 0) return refuse(`socket: ${strerror(errno())}`);
    if (libc.connect(relay, slot.privateAddrPtr, LAYOUT.sockaddr_un.size) < 0) return refuse(`connect to the library's socket: ${strerror(errno())}`);
    if (Number(libc.send(relay, messagePtr, size, LIBC.MSG_NOSIGNAL | LIBC.MSG_DONTWAIT)) !== size) return refuse(`forwarding VERSION: ${strerror(errno())}`);
    // The library accepts the relay's peer and finds the whole VERSION already queued.
    const r = lib.vfu_attach_ctx(slot.ctx);
    const e = errno();
    const connFd = lib.vfu_get_poll_fd(slot.ctx);
    if (r < 0 || connFd < 0 || connFd === slot.libraryListenFd) return refuse(strerror(r < 0 ? e : LIBC.ENOTCONN));
    // The library's reply (its version and capabilities) goes back to the client.
    const replied = Number(libc.recv(relay, messagePtr, MAX_VERSION_BYTES, LIBC.MSG_DONTWAIT));
    const passed = replied > 0 && Number(libc.send(h.fd, messagePtr, replied, LIBC.MSG_NOSIGNAL | LIBC.MSG_DONTWAIT)) === replied;
    // libvfio-user expects a blocking socket (it reads whole messages with MSG_WAITALL).
    const flags = libc.fcntl(h.fd, LIBC.F_GETFL, 0);
    const swapped = passed && flags >= 0 && libc.fcntl(h.fd, LIBC.F_SETFL, flags & ~LIBC.O_NONBLOCK) >= 0 &&
      libc.dup3(h.fd, connFd, LIBC.O_CLOEXEC) === connFd;
    libc.close(h.fd);
    libc.close(relay);
    if (!swapped) {
      // The library holds a dead relay: make its next read see the end, and it detaches.
      libc.shutdown(connFd, LIBC.SHUT_RDWR);
      log("warn", `${slot.socketPath}: could not hand the client over: ${strerror(errno())}`);
    } else {
      // A client that stops in the middle of a message (or stops reading replies) holds the
      // loop in libvfio-user's blocking recv/send for at most this long.
      if (libc.setsockopt(connFd, LIBC.SOL_SOCKET, LIBC.SO_RCVTIMEO, timeoutPtr, LAYOUT.timeval.size) < 0 ||
        libc.setsockopt(connFd, LIBC.SOL_SOCKET, LIBC.SO_SNDTIMEO, timeoutPtr, LAYOUT.timeval.size) < 0) {
        log("warn", `${slot.socketPath}: setsockopt on the client socket failed: ${strerror(errno())}`);
      }
    }
    // One client at a time: new ones are still accepted (a full backlog would refuse them),
    // do their handshake, and park once it is complete until this one leaves.
    slot.connFd = connFd;
    if (epollCtl(LIBC.EPOLL_CTL_ADD, connFd, slot.id, CONN_EVENTS) < 0) log("error", `${slot.socketPath}: epoll_ctl(ADD ${connFd}) failed: ${strerror(errno())}`);
    count(COUNTER.attached);
    log("info", `${slot.socketPath}: client connected`);
    emit({ type: "client", id: slot.id, connected: true });
  };

  const dropFromPending = (h: Handshake): void => {
    handshakes.delete(h.token);
    h.slot.pending.delete(h);
    epollCtl(LIBC.EPOLL_CTL_DEL, h.fd, h.token);
  };

  /** Watched only for a hang-up, so a client that gives up waiting frees its place. */
  const park = (h: Handshake): void => {
    h.parked = true;
    epollCtl(LIBC.EPOLL_CTL_MOD, h.fd, h.token, LIBC.EPOLLRDHUP);
  };

  /** The device is free again: parked clients (level-triggered, so at once) take their turn. */
  const unpark = (slot: Slot): void => {
    for (const h of slot.pending) {
      if (!h.parked) continue;
      h.parked = false;
      h.deadline = performance.now() + start.clientTimeoutMs;
      if (epollCtl(LIBC.EPOLL_CTL_MOD, h.fd, h.token) < 0) dropHandshake(h);
    }
  };

  const serviceHandshake = (h: Handshake): void => {
    if (h.parked) {
      // Its only event while parked: the client hung up.
      dropHandshake(h);
      return;
    }
    const status = versionStatus(h);
    if (status === "wait") return;
    if (status === "bad") {
      count(COUNTER.handshakeRefused);
      log("debug", `${h.slot.socketPath}: client closed or sent no VERSION first; dropped it`);
      dropHandshake(h);
      return;
    }
    if (h.slot.connFd >= 0) park(h);
    else attach(h, status);
  };

  /** After vfu_run_ctx: has the library let the client go (its poll fd is its listener again)? */
  const followPollFd = (slot: Slot): void => {
    const fd = lib.vfu_get_poll_fd(slot.ctx);
    if (fd === slot.connFd) return;
    slot.partial = false;
    // The old fd may already be closed by the library (EBADF) or gone from the set: ignore.
    epollCtl(LIBC.EPOLL_CTL_DEL, slot.connFd, slot.id);
    slot.connFd = -1;
    if (fd !== slot.libraryListenFd) log("error", `${slot.socketPath}: libvfio-user moved to fd ${fd} unexpectedly`);
    count(COUNTER.detached);
    log("info", `${slot.socketPath}: client disconnected; listening again, registers kept`);
    emit({ type: "client", id: slot.id, connected: false });
    unpark(slot);
  };

  /**
   * Is a whole message queued on the attached client's socket? libvfio-user reads a message
   * with blocking calls once it has its header, so a client that sends half a message would
   * hold the loop (up to the socket timeout). A hang-up or an error goes to the library as is.
   */
  const wholeMessageQueued = (slot: Slot, events: number): boolean => {
    if (events & (LIBC.EPOLLHUP | LIBC.EPOLLRDHUP | LIBC.EPOLLERR)) return true;
    if (libc.ioctl(slot.connFd, LIBC.FIONREAD, queuedPtr) < 0) return true;
    const queued = queuedBytes[0]!;
    if (queued === 0) return true; // readable with nothing queued: end of stream
    if (queued < HEADER_BYTES) return false;
    if (Number(libc.recv(slot.connFd, messagePtr, HEADER_BYTES, LIBC.MSG_PEEK | LIBC.MSG_DONTWAIT)) !== HEADER_BYTES) return true;
    // A size the library refuses (too small, or beyond its limit) is its to report.
    const size = messageView.getUint32(4, true);
    return size <= queued || size < HEADER_BYTES || size > MAX_QUEUED_MESSAGE_BYTES;
  };

  const service = (slot: Slot, events: number): void => {
    if (slot.connFd < 0) return;
    if (!wholeMessageQueued(slot, events)) {
      if (!slot.partial) {
        slot.partial = true;
        epollCtl(LIBC.EPOLL_CTL_MOD, slot.connFd, slot.id, LIBC.EPOLLIN | LIBC.EPOLLRDHUP | LIBC.EPOLLET);
      }
      return;
    }
    if (slot.partial) {
      slot.partial = false;
      epollCtl(LIBC.EPOLL_CTL_MOD, slot.connFd, slot.id, CONN_EVENTS);
    }
    if (lib.vfu_run_ctx(slot.ctx) < 0) {
      const e = errno();
      if (e !== LIBC.ENOTCONN && e !== LIBC.EAGAIN && e !== LIBC.EINTR) log("warn", `${slot.socketPath}: vfu_run_ctx: ${strerror(e)}`);
    }
    followPollFd(slot);
  };

  /** Drop handshakes past their deadline; the wait until the next one (-1: none pending). */
  const expireHandshakes = (): number => {
    if (handshakes.size === 0) return -1;
    const now = performance.now();
    let next = Infinity;
    for (const h of [...handshakes.values()]) {
      if (h.parked) continue;
      if (h.deadline <= now) {
        // The loop may have been held (by an attached client stalled mid-message) while this
        // client's VERSION arrived: look once more before giving up on it.
        const status = versionStatus(h);
        if (typeof status === "number") {
          if (h.slot.connFd >= 0) park(h);
          else attach(h, status);
          continue;
        }
        count(COUNTER.handshakeTimeouts);
        log("warn", `${h.slot.socketPath}: client sent no VERSION within ${start.clientTimeoutMs} ms; dropped it`);
        dropHandshake(h);
      } else next = Math.min(next, h.deadline);
    }
    return next === Infinity ? -1 : Math.max(1, Math.ceil(next - now));
  };

  const counter = new BigUint64Array(new ArrayBuffer(8));
  const counterPtr = ptr(counter);
  const events = new Uint8Array(new ArrayBuffer(LAYOUT.epoll_event.size * MAX_EVENTS));
  const eventsPtr = ptr(events);
  const eventsView = new DataView(events.buffer);
  post({ type: "ready", eventFd, libraryPath });

  for (;;) {
    const n = libc.epoll_wait(epfd, eventsPtr, MAX_EVENTS, expireHandshakes());
    if (n < 0) {
      const e = errno();
      if (e === LIBC.EINTR) continue;
      post({ type: "fatal", message: `epoll_wait failed: ${strerror(e)}` });
      return;
    }
    let control = 0;
    for (let i = 0, before = performance.now(); i < n; i++) {
      // Tokens are below 2^31, so the low half of the u64 data field holds them.
      const token = eventsView.getUint32(i * LAYOUT.epoll_event.size + LAYOUT.epoll_event.data, true);
      const ready = eventsView.getUint32(i * LAYOUT.epoll_event.size + LAYOUT.epoll_event.events, true);
      // What the slow-event warning names, taken from the lookup each branch does anyway.
      let what = "request";
      let whose: Slot | undefined;
      if (token === CONTROL_TOKEN) {
        what = "control";
        if (Number(libc.read(eventFd, counterPtr, 8)) === 8) control += Number(counter[0]);
      } else if (token >= FIRST_HANDSHAKE_TOKEN) {
        what = "handshake";
        const h = handshakes.get(token);
        whose = h?.slot;
        if (h) serviceHandshake(h);
      } else if (token >= PUBLIC_TOKEN) {
        what = "accept";
        whose = slots.get(token - PUBLIC_TOKEN);
        if (whose) acceptClients(whose);
      } else {
        whose = slots.get(token);
        if (whose) service(whose, ready);
      }
      const after = performance.now();
      const micros = Math.round((after - before) * 1000);
      if (micros > Atomics.load(counters, COUNTER.longestEventMicros)) Atomics.store(counters, COUNTER.longestEventMicros, micros);
      if (micros > SLOW_EVENT_MICROS) log("warn", `${whose?.socketPath ?? "vfio-user"}: one ${what} held the loop for ${(micros / 1000).toFixed(1)} ms`);
      before = after;
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
