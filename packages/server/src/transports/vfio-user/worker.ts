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
//   on a socket nobody else can reach (createPrivateContext), and this loop owns the public socket: it accepts
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
import { chmodSync, mkdtempSync, rmdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LIBC, LIBVFIO_USER, LAYOUT, LOG } from "./abi.ts";
import { EventRing } from "./event-ring.ts";
import { errno, openLibc, strerror } from "./libc.ts";
import { logCallback, openLibvfioUser, regionAccessCallback, resetCallback, type LibvfioUser } from "./libvfio-user.ts";
import { CLIENT_WARNINGS_PER_SECOND, ClientWarnings, clientWarningSummary } from "./client-warnings.ts";
import { COUNTER, type AddDeviceRequest, type FromWorker, type RingEvent, type ToWorker, type WorkerLogLevel, type WorkerStart } from "./protocol.ts";
import { createWorkerDevice, type WorkerDevice } from "./worker-device.ts";
import { HEADER_BYTES, VfioUserCommand } from "../../client/vfio-user-protocol.ts";
import { PCI_CFG } from "../../device/pci-constants.ts";
import { removeSocketFile, umaskFor, unixSocketAddress } from "../socket-path.ts";

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
/** A power of two: a handshake's place in the pool is the low PLACE_BITS of its token. */
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
/** Part of a message is queued: woken only when more arrives (or the peer hangs up). */
const PARTIAL_EVENTS = LIBC.EPOLLIN | LIBC.EPOLLRDHUP | LIBC.EPOLLET;
const HANGUP_EVENTS = LIBC.EPOLLRDHUP | LIBC.EPOLLHUP | LIBC.EPOLLERR;
/** An event that holds the loop longer than this is logged: every other device waited for it. */
const SLOW_EVENT_MICROS = 20_000;
const EINVAL = 22;
const RANK: Record<WorkerLogLevel | "silent", number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };
/** libvfio-user's info messages are its internals ("vfu_reset_ctx: ..." on every teardown); ours say what a user needs. */
const VFU_LOG_LEVEL: Record<number, WorkerLogLevel> = { [LOG.LOG_ERR]: "error", [LOG.LOG_WARNING]: "warn", [LOG.LOG_INFO]: "debug", [LOG.LOG_DEBUG]: "debug" };

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
  /** Its handshakes in the pool (below), and how many of them are parked. */
  pending: number;
  parked: number;
  /** Refused and dropped clients: the first few each second are logged, the rest counted. */
  warnings: ClientWarnings;
}

// ---------------------------------------------------------------------------------------------
// Memory C reads or writes. Every pointer handed to C is taken once, here, and every byte C
// leaves for us is read through a DataView or a memcpy into one of these: no bun:ffi read.*,
// toArrayBuffer or per-call ptr() in the loop. With those in the hot path the optimizing JIT
// (DFG) crashed this thread after some thousands of connections; see docs/transports.md.
//
// They live at module level, for as long as the thread: a number from ptr() does not keep its
// buffer alive. When they were locals of an async main(), one used only before its first await
// (the client timeout given to setsockopt) was collected and its memory reused, and setsockopt
// read garbage: EDOM for thousands of clients in the soak, and no receive timeout for them.
//
// Each is ArrayBuffer-backed from the start: a small typed array's storage moves when its
// .buffer is first materialised (subarray, DataView), which would leave a ptr() at the old copy.
// ---------------------------------------------------------------------------------------------
const libc = openLibc();
/** One epoll_event for epoll_ctl. */
const epollEvent = new DataView(new ArrayBuffer(LAYOUT.epoll_event.size));
const epollEventPtr = ptr(epollEvent);
/** What epoll_wait returns. */
const readyEvents = new DataView(new ArrayBuffer(LAYOUT.epoll_event.size * MAX_EVENTS));
const readyEventsPtr = ptr(readyEvents);
/** The control eventfd's counter. */
const controlCount = new BigUint64Array(new ArrayBuffer(8));
const controlCountPtr = ptr(controlCount);
/** 1..8-byte register accesses, through fixed views: a fresh view of the library's buffer costs ~0.5 µs. */
const scratch = new Uint8Array(new ArrayBuffer(SCRATCH_BYTES));
const scratchViews = Array.from({ length: SCRATCH_BYTES + 1 }, (_, n) => scratch.subarray(0, n));
const scratchPtr = ptr(scratch);
/** Wider accesses (up to a whole 4 KiB region), and the config image at set-up. */
const wide = new Uint8Array(new ArrayBuffer(LIBVFIO_USER.PCI_CFG_SPACE_EXP_SIZE));
const widePtr = ptr(wide);
/** errno to set for libvfio-user when a callback fails. */
const errnoOut = new Int32Array(new ArrayBuffer(4));
const errnoOutPtr = ptr(errnoOut);
/** A client's first message (peeked, then relayed) and the library's reply. */
const message = new Uint8Array(new ArrayBuffer(MAX_VERSION_BYTES));
const messageView = new DataView(message.buffer);
const messagePtr = ptr(message);
/** FIONREAD's answer: bytes queued on an attached client's socket. */
const queuedBytes = new Int32Array(new ArrayBuffer(4));
const queuedPtr = ptr(queuedBytes);
/** SO_RCVTIMEO/SO_SNDTIMEO of attached clients (the client timeout, set at start). */
const clientTimeout = new DataView(new ArrayBuffer(LAYOUT.timeval.size));
const clientTimeoutPtr = ptr(clientTimeout);
/** This thread's CPU time (clock_gettime). */
const cpuTime = new Uint32Array(new ArrayBuffer(LAYOUT.timespec.size));
const cpuTimePtr = ptr(cpuTime);
/** This thread's context switches (getrusage), read once per loop turn. */
const usage = new Uint32Array(new ArrayBuffer(LAYOUT.rusage.size));
const usagePtr = ptr(usage);
/** Voluntary and involuntary context switches when this loop turn began. */
let turnWaits = 0;
let turnPreemptions = 0;

// The state of the loop, set by init() from the main thread's start message.
let lib: LibvfioUser;
let libraryPath: string;
let ring: EventRing;
let counters: Int32Array;
let minRank: number;
let clientTimeoutMs: number;
let libvfioUserLog: boolean;
let epfd = -1;
let eventFd = -1;
/** The JSCallbacks libvfio-user calls, one of each kind for all devices (they look up the device by context). */
let callbacks: JSCallback[] = [];
let logCb: Pointer;
let bar0Cb: Pointer;
let configCb: Pointer;
let resetCb: Pointer;

const slots = new Map<number, Slot>();
const byCtx = new Map<Pointer, Slot>();
const slotList: Slot[] = [];

// ---------------------------------------------------------------------------------------------
// Handshakes: clients accepted on a public socket that have not yet sent their whole VERSION.
// They live in a pool of MAX_PENDING places, fixed-size arrays indexed by place, not in an
// object and Map/Set entries each: a clean connection then allocates nothing in this thread,
// and its collector (whose pauses hold every device) has nothing to trace (issue 17). A place
// is free when its token is 0. A token is the place plus a sequence number above it, so an
// event still queued for a client dropped earlier in the same turn finds its place taken by
// another token and is ignored.
// ---------------------------------------------------------------------------------------------
const PLACE_BITS = 9;
const PLACE_MASK = (1 << PLACE_BITS) - 1;
/** Sequence numbers per place before they wrap (tokens stay below 2^31). */
const TOKEN_SEQUENCES = Math.floor((0x7fffffff - FIRST_HANDSHAKE_TOKEN) / (1 << PLACE_BITS));
const HS_PARKED = 1;
const HS_PARTIAL = 2;
/** The epoll token of each place's handshake; 0 when the place is free. */
const hsToken = new Int32Array(MAX_PENDING);
const hsFd = new Int32Array(MAX_PENDING);
/** performance.now() by which its VERSION must have arrived. */
const hsDeadline = new Float64Array(MAX_PENDING);
/**
 * HS_PARKED: its whole VERSION arrived while another client held the device: watched only for a
 * hang-up, no deadline, it waits its turn (as it would in a backlog) and is looked at again on
 * detach. HS_PARTIAL: part of its VERSION is queued: watched edge-triggered until more arrives.
 * Level-triggered, the bytes we only peek at would wake the loop again at once, spinning it
 * until the deadline.
 */
const hsFlags = new Uint8Array(MAX_PENDING);
/** The device each place's client came to (a reference stored in a preallocated array). */
const hsSlot: (Slot | undefined)[] = new Array<Slot | undefined>(MAX_PENDING).fill(undefined);
/** Free places, a stack. */
const freePlaces = Int32Array.from({ length: MAX_PENDING }, (_, i) => MAX_PENDING - 1 - i);
let freeCount = MAX_PENDING;
let handshakeCount = 0;
let tokenSequence = 0;
/** Refused-client summaries: none is due before this (performance.now()). */
let nextSummary = Infinity;
/** No handshake's deadline is earlier than this (it may be a dropped one's: then a scan finds the next). */
let nextExpiry = Infinity;
/** Control messages announced by the eventfd and not yet taken. */
let controlPending = 0;

// ---------------------------------------------------------------------------------------------
// Control messages from the main thread: add, remove, shutdown. Each comes with one eventfd bump.
// ---------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------
// Logs and counters, through shared memory (see the top of this file).
// ---------------------------------------------------------------------------------------------
function emit(event: RingEvent): void {
  ring.push(JSON.stringify(event));
}

function log(level: WorkerLogLevel, message: string): void {
  if (RANK[level] >= minRank) emit({ type: "log", level, message });
}

/** Is `level` logged? Asked first on per-connection paths, so no message is built for nothing. */
function logs(level: WorkerLogLevel): boolean {
  return RANK[level] >= minRank;
}

function count(slot: number): void {
  Atomics.add(counters, slot, 1);
}

// ---------------------------------------------------------------------------------------------
// libvfio-user's callbacks, as in its samples: a log function, one access function per region,
// a reset function. One of each serves every device, found by its context pointer. The region
// callbacks are the hot path: one lookup, bounds, a memcpy and the device model; an exception
// must not unwind through libvfio-user's C frames, so each is caught and becomes errno.
// ---------------------------------------------------------------------------------------------
function vfuLog(ctx: Pointer, level: number, message: string): void {
  const slot = byCtx.get(ctx);
  log(VFU_LOG_LEVEL[level] ?? "info", `${slot?.socketPath ?? "libvfio-user"}: ${message}`);
}

function setErrno(code: number): void {
  const p = libc.__errno_location();
  errnoOut[0] = code;
  if (p !== null) libc.memcpy(p, errnoOutPtr, 4);
}

/** BAR0: the device's registers. */
function bar0Access(ctx: Pointer, buf: Pointer, count: number, offset: number, isWrite: boolean): number {
  const slot = byCtx.get(ctx);
  if (!slot || buf === 0 || count <= 0 || offset < 0 || offset + count > slot.device.bar0SizeBytes) {
    log("warn", `${slot?.socketPath ?? "?"}: bad BAR0 access offset ${offset} count ${count}`);
    setErrno(EINVAL);
    return -1;
  }
  try {
    const bytes = count <= SCRATCH_BYTES ? scratchViews[count]! : wide.subarray(0, count);
    const bytesPtr = count <= SCRATCH_BYTES ? scratchPtr : widePtr;
    if (isWrite) {
      libc.memcpy(bytesPtr, buf, count);
      slot.device.bar0Write(offset, bytes);
    } else {
      slot.device.bar0Read(offset, bytes);
      libc.memcpy(buf, bytesPtr, count);
    }
  } catch (err) {
    log("error", `${slot.socketPath}: BAR0 ${isWrite ? "write" : "read"} at 0x${offset.toString(16)}: ${String(err)}`);
    setErrno(EINVAL);
    return -1;
  }
  return count;
}

/**
 * Config space beyond the standard header (PCIe capability, SR-IOV at 0x100), answered by the
 * device model through its write masks. libvfio-user answers the 64-byte header itself from
 * the image copied in at set-up (BARs and command register included).
 */
function configAccess(ctx: Pointer, buf: Pointer, count: number, offset: number, isWrite: boolean): number {
  const slot = byCtx.get(ctx);
  if (!slot || buf === 0 || count <= 0 || offset < 0 || offset + count > LIBVFIO_USER.PCI_CFG_SPACE_EXP_SIZE) {
    setErrno(EINVAL);
    return -1;
  }
  try {
    const bytes = count <= SCRATCH_BYTES ? scratchViews[count]! : wide.subarray(0, count);
    const bytesPtr = count <= SCRATCH_BYTES ? scratchPtr : widePtr;
    if (isWrite) {
      libc.memcpy(bytesPtr, buf, count);
      slot.device.configWrite(offset, bytes);
    } else {
      slot.device.configRead(offset, bytes);
      libc.memcpy(buf, bytesPtr, count);
    }
  } catch (err) {
    log("error", `${slot.socketPath}: config ${isWrite ? "write" : "read"} at 0x${offset.toString(16)}: ${String(err)}`);
    setErrno(EINVAL);
    return -1;
  }
  return count;
}

/** A lost connection is not a reset: the guest may come back and expects its registers. */
function deviceReset(ctx: Pointer, type: number): number {
  const slot = byCtx.get(ctx);
  if (!slot) return 0;
  if (type === LIBVFIO_USER.VFU_RESET_DEVICE || type === LIBVFIO_USER.VFU_RESET_PCI_FLR) {
    try {
      slot.device.reset();
    } catch (err) {
      log("error", `${slot.socketPath}: reset failed: ${String(err)}`);
      setErrno(EINVAL);
      return -1;
    }
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Sockets and epoll.
// ---------------------------------------------------------------------------------------------
function epollCtl(op: number, fd: number, token: number, events: number = LIBC.EPOLLIN): number {
  epollEvent.setUint32(LAYOUT.epoll_event.events, events, true);
  // Tokens are below 2^31: the high half of the u64 stays 0 (no BigInt per call).
  epollEvent.setUint32(LAYOUT.epoll_event.data, token, true);
  epollEvent.setUint32(LAYOUT.epoll_event.data + 4, 0, true);
  return libc.epoll_ctl(epfd, op, fd, epollEventPtr);
}

/** A listening UNIX socket at `path`, created with `mode` from its first instant. */
function listenAt(path: string, mode: number): number {
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
    if (bound >= 0) removeSocketFile(path);
    throw new Error(`${path}: ${bound < 0 ? "bind" : "listen"} failed: ${strerror(code)}`);
  }
  return fd;
}

// ---------------------------------------------------------------------------------------------
// Devices: a libvfio-user context per device, set up as the samples do (create, PCI init, IDs,
// regions, reset callback, realize), listening on a private socket; ours is the public one.
// ---------------------------------------------------------------------------------------------
function fail(socketPath: string, what: string, code = errno()): never {
  throw new Error(`${socketPath}: ${what} failed: ${strerror(code)}`);
}

/**
 * A context whose socket nobody else can reach. libvfio-user binds its socket in a fresh 0700
 * folder; we keep an O_PATH fd to that socket file and remove the file and the folder at once:
 * the worker reaches the socket through /proc/self/fd/N, nobody else can, and nothing is left
 * on disk, even if the process is killed.
 */
function createPrivateContext(socketPath: string): { ctx: Pointer; pathFd: number } {
  const privateDir = mkdtempSync(join(tmpdir(), "mock-accel-vfu-"));
  const privatePath = join(privateDir, "s");
  const pathBuf = Buffer.from(`${privatePath}\0`, "utf8");
  try {
    const oldMask = libc.umask(0o177);
    const ctx = lib.vfu_create_ctx(LIBVFIO_USER.VFU_TRANS_SOCK, ptr(pathBuf), LIBVFIO_USER.LIBVFIO_USER_FLAG_ATTACH_NB, null, LIBVFIO_USER.VFU_DEV_TYPE_PCI) as Pointer | null;
    const createErrno = errno();
    libc.umask(oldMask);
    if (ctx === null) return fail(socketPath, "vfu_create_ctx", createErrno);
    const pathFd = libc.open(ptr(pathBuf), LIBC.O_PATH | LIBC.O_CLOEXEC);
    if (pathFd < 0) {
      const e = errno();
      lib.vfu_destroy_ctx(ctx);
      return fail(socketPath, "open(O_PATH) of libvfio-user's socket", e);
    }
    return { ctx, pathFd };
  } finally {
    removeSocketFile(privatePath);
    rmdirSync(privateDir);
  }
}

/** PCI identity, config space, BAR0, reset; then realize. Afterwards the poll fd is the library's listening socket. */
function setUpPciDevice(slot: Slot): void {
  const { ctx, device, socketPath } = slot;
  // libvfio-user's own log only at debug level: about hostile clients it says nothing ours
  // do not (refused, dropped), in one to three lines per malformed message.
  if (libvfioUserLog && lib.vfu_setup_log(ctx, logCb, LOG.LOG_DEBUG) < 0) fail(socketPath, "vfu_setup_log");
  if (lib.vfu_pci_init(ctx, LIBVFIO_USER.VFU_PCI_TYPE_EXPRESS, LIBVFIO_USER.PCI_HEADER_TYPE_NORMAL, 0) < 0) fail(socketPath, "vfu_pci_init");
  const cfgPtr = lib.vfu_pci_get_config_space(ctx);
  if (cfgPtr === null) return fail(socketPath, "vfu_pci_get_config_space");
  // The whole image goes in (revision, status, capability pointer, PCIe capability);
  // set_id/set_class then state the identity explicitly, from the same image.
  const image = device.configImage();
  wide.set(image.subarray(0, LIBVFIO_USER.PCI_CFG_SPACE_EXP_SIZE));
  libc.memcpy(cfgPtr, widePtr, LIBVFIO_USER.PCI_CFG_SPACE_EXP_SIZE);
  const cfg = new DataView(image.buffer, image.byteOffset, image.byteLength);
  lib.vfu_pci_set_id(ctx, cfg.getUint16(PCI_CFG.VENDOR_ID, true), cfg.getUint16(PCI_CFG.DEVICE_ID, true), cfg.getUint16(PCI_CFG.SUBSYSTEM_VENDOR_ID, true), cfg.getUint16(PCI_CFG.SUBSYSTEM_ID, true));
  lib.vfu_pci_set_class(ctx, cfg.getUint8(PCI_CFG.CLASS_DEVICE + 1), cfg.getUint8(PCI_CFG.CLASS_DEVICE), cfg.getUint8(PCI_CFG.CLASS_PROG));
  if (lib.vfu_setup_region(ctx, LIBVFIO_USER.VFU_PCI_DEV_BAR0_REGION_IDX, BigInt(device.bar0SizeBytes), bar0Cb,
    LIBVFIO_USER.VFU_REGION_FLAG_RW | LIBVFIO_USER.VFU_REGION_FLAG_MEM, null, 0, -1, 0n) < 0) fail(socketPath, "vfu_setup_region(BAR0)");
  if (lib.vfu_setup_region(ctx, LIBVFIO_USER.VFU_PCI_DEV_CFG_REGION_IDX, BigInt(LIBVFIO_USER.PCI_CFG_SPACE_EXP_SIZE), configCb,
    LIBVFIO_USER.VFU_REGION_FLAG_RW, null, 0, -1, 0n) < 0) fail(socketPath, "vfu_setup_region(config)");
  if (lib.vfu_setup_device_reset_cb(ctx, resetCb) < 0) fail(socketPath, "vfu_setup_device_reset_cb");
  if (lib.vfu_realize_ctx(ctx) < 0) fail(socketPath, "vfu_realize_ctx");
  slot.libraryListenFd = lib.vfu_get_poll_fd(ctx);
  if (slot.libraryListenFd < 0) fail(socketPath, "vfu_get_poll_fd");
}

function addDevice(req: AddDeviceRequest): void {
  const device = createWorkerDevice(req, {
    log: (level, message) => log(level, `${req.socketPath}: ${message}`),
    registerWrite: (name, value, previous) => emit({ type: "register-write", id: req.id, name, value: String(value), previous: String(previous) }),
  });
  const { ctx, pathFd } = createPrivateContext(req.socketPath);
  const privateAddr = unixSocketAddress(`/proc/self/fd/${pathFd}`);
  const slot: Slot = {
    id: req.id, socketPath: req.socketPath, libraryPathFd: pathFd, privateAddr, privateAddrPtr: ptr(privateAddr), ctx, device,
    publicFd: -1, libraryListenFd: -1, connFd: -1, partial: false, pending: 0, parked: 0, warnings: new ClientWarnings(),
  };
  byCtx.set(ctx, slot);
  try {
    setUpPciDevice(slot);
    slot.publicFd = listenAt(req.socketPath, req.socketMode);
    // Exactly the mode asked for, whatever bits the umask could not express.
    chmodSync(req.socketPath, req.socketMode);
    if (epollCtl(LIBC.EPOLL_CTL_ADD, slot.publicFd, slot.id + PUBLIC_TOKEN) < 0) fail(req.socketPath, "epoll_ctl(ADD)");
  } catch (err) {
    byCtx.delete(ctx);
    lib.vfu_destroy_ctx(ctx);
    libc.close(pathFd);
    if (slot.publicFd >= 0) {
      libc.close(slot.publicFd);
      removeSocketFile(req.socketPath);
    }
    throw err;
  }
  slots.set(slot.id, slot);
  slotList.push(slot);
  log("info", `${slot.socketPath}: listening (${req.kind})`);
}

function removeDevice(slot: Slot): void {
  for (let p = 0; p < MAX_PENDING; p++) if (hsToken[p] !== 0 && hsSlot[p] === slot) dropHandshake(p);
  logWarningSummary(slot, Infinity);
  if (slot.connFd >= 0) epollCtl(LIBC.EPOLL_CTL_DEL, slot.connFd, slot.id);
  epollCtl(LIBC.EPOLL_CTL_DEL, slot.publicFd, slot.id + PUBLIC_TOKEN);
  slots.delete(slot.id);
  slotList.splice(slotList.indexOf(slot), 1);
  lib.vfu_destroy_ctx(slot.ctx);
  byCtx.delete(slot.ctx);
  libc.close(slot.publicFd);
  removeSocketFile(slot.socketPath);
  libc.close(slot.libraryPathFd);
  log("info", `${slot.socketPath}: removed`);
}

// ---------------------------------------------------------------------------------------------
// New clients: accept without blocking, wait (in epoll) for the whole VERSION, then hand the
// client to libvfio-user (see the top of this file).
// ---------------------------------------------------------------------------------------------
/** The public socket is readable: take every waiting client, without blocking. */
function acceptClients(slot: Slot): void {
  for (;;) {
    const fd = libc.accept4(slot.publicFd, null, null, LIBC.SOCK_NONBLOCK | LIBC.SOCK_CLOEXEC);
    if (fd < 0) return; // EAGAIN: none left (or a transient error; epoll says when to retry)
    count(COUNTER.accepted);
    if (slot.pending >= MAX_PENDING_PER_DEVICE || handshakeCount >= MAX_PENDING) {
      // Make room by dropping the oldest client still silent: a real client sends its VERSION
      // at once, so under a flood of silent ones it is the newcomer that deserves the place.
      count(COUNTER.overflow);
      const oldest = oldestSilent(slot);
      if (oldest < 0 || handshakeCount >= MAX_PENDING) {
        libc.close(fd);
        continue;
      }
      dropHandshake(oldest);
    }
    const place = freePlaces[--freeCount]!;
    const token = FIRST_HANDSHAKE_TOKEN + ((tokenSequence << PLACE_BITS) | place);
    tokenSequence = tokenSequence + 1 >= TOKEN_SEQUENCES ? 0 : tokenSequence + 1;
    if (epollCtl(LIBC.EPOLL_CTL_ADD, fd, token) < 0) {
      freePlaces[freeCount++] = place;
      libc.close(fd);
      continue;
    }
    hsToken[place] = token;
    hsFd[place] = fd;
    hsDeadline[place] = performance.now() + clientTimeoutMs;
    hsFlags[place] = 0;
    hsSlot[place] = slot;
    handshakeCount++;
    slot.pending++;
    nextExpiry = Math.min(nextExpiry, hsDeadline[place]!);
  }
}

/** The place of the device's handshake with the earliest deadline that is not parked, or -1. */
function oldestSilent(slot: Slot): number {
  let oldest = -1;
  for (let p = 0; p < MAX_PENDING; p++) {
    if (hsToken[p] === 0 || hsSlot[p] !== slot || hsFlags[p]! & HS_PARKED) continue;
    if (oldest < 0 || hsDeadline[p]! < hsDeadline[oldest]!) oldest = p;
  }
  return oldest;
}

/**
 * The client's first message as now queued on its socket: its whole VERSION (the size), "wait"
 * (nothing yet), "part" (some of it, more may come) or "bad" (closed, or something else first).
 */
function versionStatus(fd: number): "wait" | "part" | "bad" | number {
  const got = Number(libc.recv(fd, messagePtr, HEADER_BYTES, LIBC.MSG_PEEK | LIBC.MSG_DONTWAIT));
  if (got === 0) return "bad"; // closed before saying anything
  if (got < 0) return errno() === LIBC.EAGAIN ? "wait" : "bad";
  if (got < HEADER_BYTES) return "part";
  const size = messageView.getUint32(4, true);
  if (messageView.getUint16(2, true) !== VfioUserCommand.VERSION || size < HEADER_BYTES || size > MAX_VERSION_BYTES) return "bad";
  const all = Number(libc.recv(fd, messagePtr, size, LIBC.MSG_PEEK | LIBC.MSG_DONTWAIT));
  if (all === size) return size;
  return all < 0 && errno() !== LIBC.EAGAIN ? "bad" : "part";
}

function serviceHandshake(place: number, events: number): void {
  if (hsFlags[place]! & HS_PARKED) {
    // Its only event while parked: the client hung up.
    dropHandshake(place);
    return;
  }
  let status = versionStatus(hsFd[place]!);
  // A client that has stopped sending will never complete what is queued.
  if ((status === "wait" || status === "part") && events & HANGUP_EVENTS) status = "bad";
  if (status === "wait") return;
  if (status === "part") {
    if (!(hsFlags[place]! & HS_PARTIAL)) {
      hsFlags[place] = hsFlags[place]! | HS_PARTIAL;
      epollCtl(LIBC.EPOLL_CTL_MOD, hsFd[place]!, hsToken[place]!, PARTIAL_EVENTS);
    }
    return;
  }
  if (status === "bad") {
    count(COUNTER.handshakeRefused);
    if (logs("debug")) log("debug", `${hsSlot[place]!.socketPath}: client closed or sent no VERSION first; dropped it`);
    dropHandshake(place);
    return;
  }
  if (hsSlot[place]!.connFd >= 0) park(place);
  else attach(place, status);
}

/** The client's VERSION is all there: relay it to libvfio-user, then give the library the client itself. */
function attach(place: number, size: number): void {
  const slot = hsSlot[place]!;
  const fd = hsFd[place]!;
  dropFromPending(place);
  const relay = relayVersion(slot, fd, size);
  if (relay < 0) return;
  const connFd = lib.vfu_get_poll_fd(slot.ctx);
  if (!handOver(slot, fd, relay, connFd)) {
    // The library holds a dead relay: make its next read see the end, and it detaches.
    libc.shutdown(connFd, LIBC.SHUT_RDWR);
  } else setClientTimeouts(slot, connFd);
  // One client at a time: new ones are still accepted (a full backlog would refuse them),
  // do their handshake, and park once it is complete until this one leaves.
  slot.connFd = connFd;
  if (epollCtl(LIBC.EPOLL_CTL_ADD, connFd, slot.id, CONN_EVENTS) < 0) log("error", `${slot.socketPath}: epoll_ctl(ADD ${connFd}) failed: ${strerror(errno())}`);
  count(COUNTER.attached);
  if (logs("info")) log("info", `${slot.socketPath}: client connected`);
  ring.pushClient(slot.id, true);
}

/**
 * Close a client refused during negotiation (and its relay, if any), counted and, within the
 * device's warning limit, logged: "what" and/or errno `code` say why. A plain function, not a
 * closure per client: that closure was garbage on every connection.
 */
function refuseClient(slot: Slot, fd: number, relay: number, what: string, code: number): number {
  count(COUNTER.handshakeRefused);
  if (admitClientWarning(slot)) {
    const why = code === 0 ? what : what === "" ? strerror(code) : `${what}: ${strerror(code)}`;
    log("warn", `${slot.socketPath}: client refused during negotiation: ${why}`);
  }
  if (relay >= 0) libc.close(relay);
  libc.close(fd);
  return -1;
}

/**
 * Take the client's VERSION off its socket, forward it to the library's private socket and let
 * vfu_attach_ctx (which now finds it queued and cannot block) accept the relay. The relay's fd,
 * or -1 when the client was refused (and closed).
 */
function relayVersion(slot: Slot, fd: number, size: number): number {
  if (Number(libc.recv(fd, messagePtr, size, LIBC.MSG_DONTWAIT)) !== size) return refuseClient(slot, fd, -1, "its VERSION message went missing", 0);
  const relay = libc.socket(LIBC.AF_UNIX, LIBC.SOCK_STREAM | LIBC.SOCK_CLOEXEC, 0);
  if (relay < 0) return refuseClient(slot, fd, -1, "socket", errno());
  if (libc.connect(relay, slot.privateAddrPtr, LAYOUT.sockaddr_un.size) < 0) return refuseClient(slot, fd, relay, "connect to the library's socket", errno());
  if (Number(libc.send(relay, messagePtr, size, LIBC.MSG_NOSIGNAL | LIBC.MSG_DONTWAIT)) !== size) return refuseClient(slot, fd, relay, "forwarding VERSION", errno());
  const r = lib.vfu_attach_ctx(slot.ctx);
  const e = errno();
  const connFd = lib.vfu_get_poll_fd(slot.ctx);
  if (r < 0 || connFd < 0 || connFd === slot.libraryListenFd) return refuseClient(slot, fd, relay, "", r < 0 ? e : LIBC.ENOTCONN);
  return relay;
}

/**
 * Pass the library's reply (its version and capabilities) back to the client, then put the
 * client's socket in place of the relay, on the very fd number the library holds (dup3).
 * Closes the client's own fd and the relay either way.
 */
function handOver(slot: Slot, fd: number, relay: number, connFd: number): boolean {
  const replied = Number(libc.recv(relay, messagePtr, MAX_VERSION_BYTES, LIBC.MSG_DONTWAIT));
  const passed = replied > 0 && Number(libc.send(fd, messagePtr, replied, LIBC.MSG_NOSIGNAL | LIBC.MSG_DONTWAIT)) === replied;
  // libvfio-user expects a blocking socket (it reads whole messages with MSG_WAITALL).
  const flags = libc.fcntl(fd, LIBC.F_GETFL, 0);
  const swapped = passed && flags >= 0 && libc.fcntl(fd, LIBC.F_SETFL, flags & ~LIBC.O_NONBLOCK) >= 0 &&
    libc.dup3(fd, connFd, LIBC.O_CLOEXEC) === connFd;
  // errno now, before other calls (or the collector, between them) can overwrite it.
  const swapErrno = swapped ? 0 : errno();
  libc.close(fd);
  libc.close(relay);
  if (!swapped) {
    // A client that hangs up right after its VERSION is no news at "warn".
    if (swapErrno === LIBC.EPIPE || swapErrno === LIBC.ECONNRESET) {
      if (logs("debug")) log("debug", `${slot.socketPath}: could not hand the client over: ${strerror(swapErrno)}`);
    } else if (admitClientWarning(slot)) log("warn", `${slot.socketPath}: could not hand the client over: ${strerror(swapErrno)}`);
  }
  return swapped;
}

/**
 * A client that stops in the middle of a message (or stops reading replies) holds the loop in
 * libvfio-user's blocking recv/send for at most the client timeout.
 */
function setClientTimeouts(slot: Slot, connFd: number): void {
  const rcv = libc.setsockopt(connFd, LIBC.SOL_SOCKET, LIBC.SO_RCVTIMEO, clientTimeoutPtr, LAYOUT.timeval.size);
  const failed = rcv < 0 ? errno() : libc.setsockopt(connFd, LIBC.SOL_SOCKET, LIBC.SO_SNDTIMEO, clientTimeoutPtr, LAYOUT.timeval.size) < 0 ? errno() : 0;
  if (failed !== 0) log("warn", `${slot.socketPath}: setsockopt on the client socket failed: ${strerror(failed)}`);
}

/** Give the handshake's place back to the pool. */
function freePlace(place: number): void {
  const slot = hsSlot[place]!;
  slot.pending--;
  if (hsFlags[place]! & HS_PARKED) slot.parked--;
  hsToken[place] = 0;
  hsFlags[place] = 0;
  hsSlot[place] = undefined;
  freePlaces[freeCount++] = place;
  handshakeCount--;
}

function dropHandshake(place: number): void {
  const fd = hsFd[place]!;
  freePlace(place);
  // Closing removes the fd from the epoll set.
  libc.close(fd);
}

function dropFromPending(place: number): void {
  const fd = hsFd[place]!;
  const token = hsToken[place]!;
  freePlace(place);
  epollCtl(LIBC.EPOLL_CTL_DEL, fd, token);
}

/** Watched only for a hang-up, so a client that gives up waiting frees its place. */
function park(place: number): void {
  hsFlags[place] = hsFlags[place]! | HS_PARKED;
  hsSlot[place]!.parked++;
  epollCtl(LIBC.EPOLL_CTL_MOD, hsFd[place]!, hsToken[place]!, LIBC.EPOLLRDHUP);
}

/** The device is free again: parked clients (level-triggered, so at once) take their turn. */
function unpark(slot: Slot): void {
  if (slot.parked === 0) return;
  for (let p = 0; p < MAX_PENDING; p++) {
    if (hsToken[p] === 0 || hsSlot[p] !== slot || !(hsFlags[p]! & HS_PARKED)) continue;
    hsFlags[p] = hsFlags[p]! & ~HS_PARKED;
    slot.parked--;
    hsDeadline[p] = performance.now() + clientTimeoutMs;
    nextExpiry = Math.min(nextExpiry, hsDeadline[p]!);
    if (epollCtl(LIBC.EPOLL_CTL_MOD, hsFd[p]!, hsToken[p]!) < 0) dropHandshake(p);
  }
}

/**
 * Drop handshakes past their deadline; the wait until the next one (-1: none pending).
 * Called once per loop turn, so it looks at the handshakes only once the earliest deadline
 * has passed (deadlines are set in order, now + the timeout, so a new one is never earlier).
 */
function expireHandshakes(): number {
  if (handshakeCount === 0) return -1;
  const now = performance.now();
  if (now < nextExpiry) return Math.max(1, Math.ceil(nextExpiry - now));
  let next = Infinity;
  for (let p = 0; p < MAX_PENDING; p++) {
    if (hsToken[p] === 0 || hsFlags[p]! & HS_PARKED) continue;
    const deadline = hsDeadline[p]!;
    if (deadline <= now) {
      const slot = hsSlot[p]!;
      // The loop may have been held (by an attached client stalled mid-message) while this
      // client's VERSION arrived: look once more before giving up on it.
      const status = versionStatus(hsFd[p]!);
      if (typeof status === "number") {
        if (slot.connFd >= 0) park(p);
        else attach(p, status);
        continue;
      }
      count(COUNTER.handshakeTimeouts);
      if (admitClientWarning(slot, now)) log("warn", `${slot.socketPath}: client sent no VERSION within ${clientTimeoutMs} ms; dropped it`);
      dropHandshake(p);
    } else next = Math.min(next, deadline);
  }
  nextExpiry = next;
  return next === Infinity ? -1 : Math.max(1, Math.ceil(next - now));
}

/**
 * May a warning about one of the device's clients be logged now? The first few each second
 * are; the rest are counted and summed up in one line once that second is over, and while a
 * flood lasts there is only that line (client-warnings.ts).
 */
function admitClientWarning(slot: Slot, now = performance.now()): boolean {
  if (!logs("warn")) return false;
  logWarningSummary(slot, now);
  const admitted = slot.warnings.admit(now);
  nextSummary = Math.min(nextSummary, slot.warnings.summaryDue);
  return admitted;
}

function logWarningSummary(slot: Slot, now: number): void {
  const n = slot.warnings.takeSummary(now);
  if (n > 0) log("warn", `${slot.socketPath}: ${clientWarningSummary(n, CLIENT_WARNINGS_PER_SECOND, slot.warnings.flooding)}`);
}

/** Log the summaries whose second is over; the wait until the next one is due (-1: none). */
function summarizeClientWarnings(): number {
  if (nextSummary === Infinity) return -1;
  const now = performance.now();
  if (now >= nextSummary) {
    let next = Infinity;
    for (let i = 0; i < slotList.length; i++) {
      const slot = slotList[i]!;
      logWarningSummary(slot, now);
      next = Math.min(next, slot.warnings.summaryDue);
    }
    nextSummary = next;
    if (next === Infinity) return -1;
  }
  return Math.max(1, Math.ceil(nextSummary - now));
}

/** epoll_wait's timeout: until the next handshake deadline or warning summary (-1: none). */
function nextWait(): number {
  const expiry = expireHandshakes();
  const summary = summarizeClientWarnings();
  if (expiry < 0) return summary;
  return summary < 0 ? expiry : Math.min(expiry, summary);
}

// ---------------------------------------------------------------------------------------------
// Attached clients: libvfio-user runs one request per call of vfu_run_ctx.
// ---------------------------------------------------------------------------------------------
/**
 * Is a whole message queued on the attached client's socket? libvfio-user reads a message
 * with blocking calls once it has its header, so a client that sends half a message would
 * hold the loop (up to the socket timeout). A hang-up or an error goes to the library as is.
 */
function wholeMessageQueued(slot: Slot, events: number): boolean {
  if (events & HANGUP_EVENTS) return true;
  if (libc.ioctl(slot.connFd, LIBC.FIONREAD, queuedPtr) < 0) return true;
  const queued = queuedBytes[0]!;
  if (queued === 0) return true; // readable with nothing queued: end of stream
  if (queued < HEADER_BYTES) return false;
  if (Number(libc.recv(slot.connFd, messagePtr, HEADER_BYTES, LIBC.MSG_PEEK | LIBC.MSG_DONTWAIT)) !== HEADER_BYTES) return true;
  // A size the library refuses (too small, or beyond its limit) is its to report.
  const size = messageView.getUint32(4, true);
  return size <= queued || size < HEADER_BYTES || size > MAX_QUEUED_MESSAGE_BYTES;
}

function serviceClient(slot: Slot, events: number): void {
  if (slot.connFd < 0) return;
  if (!wholeMessageQueued(slot, events)) {
    if (!slot.partial) {
      slot.partial = true;
      epollCtl(LIBC.EPOLL_CTL_MOD, slot.connFd, slot.id, PARTIAL_EVENTS);
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
}

/** After vfu_run_ctx: has the library let the client go (its poll fd is its listener again)? */
function followPollFd(slot: Slot): void {
  const fd = lib.vfu_get_poll_fd(slot.ctx);
  if (fd === slot.connFd) return;
  slot.partial = false;
  // The old fd may already be closed by the library (EBADF) or gone from the set: ignore.
  epollCtl(LIBC.EPOLL_CTL_DEL, slot.connFd, slot.id);
  slot.connFd = -1;
  if (fd !== slot.libraryListenFd) log("error", `${slot.socketPath}: libvfio-user moved to fd ${fd} unexpectedly`);
  count(COUNTER.detached);
  if (logs("info")) log("info", `${slot.socketPath}: client disconnected; listening again, registers kept`);
  ring.pushClient(slot.id, false);
  unpark(slot);
}

// ---------------------------------------------------------------------------------------------
// The loop.
// ---------------------------------------------------------------------------------------------
/**
 * This thread's CPU time, next to the wall time of each event: a long event with little CPU
 * time was the thread waiting for a core, not our work (or a collector pause) holding it.
 */
/** Context switches so far; counts fit the low word. */
function readContextSwitches(): void {
  libc.getrusage(LIBC.RUSAGE_THREAD, usagePtr);
}

function threadCpuMicros(): number {
  libc.clock_gettime(LIBC.CLOCK_THREAD_CPUTIME_ID, cpuTimePtr);
  // Seconds of CPU time fit the low word; nanoseconds are below 10^9.
  return cpuTime[LAYOUT.timespec.tv_sec / 4]! * 1e6 + cpuTime[LAYOUT.timespec.tv_nsec / 4]! / 1e3;
}

/** One ready fd, by its token. Returns what it was, for the slow-event warning. */
function serviceEvent(token: number, events: number): "control" | "handshake" | "accept" | "request" {
  if (token === CONTROL_TOKEN) {
    if (Number(libc.read(eventFd, controlCountPtr, 8)) === 8) controlPending += Number(controlCount[0]);
    return "control";
  }
  if (token >= FIRST_HANDSHAKE_TOKEN) {
    const place = (token - FIRST_HANDSHAKE_TOKEN) & PLACE_MASK;
    // Not the current token of its place: that client was dropped earlier in this turn.
    if (hsToken[place] === token) serviceHandshake(place, events);
    return "handshake";
  }
  if (token >= PUBLIC_TOKEN) {
    const slot = slots.get(token - PUBLIC_TOKEN);
    if (slot) acceptClients(slot);
    return "accept";
  }
  const slot = slots.get(token);
  if (slot) serviceClient(slot, events);
  return "request";
}

/** The device an event token belongs to (only to name it in a warning). */
function socketPathOf(token: number): string {
  if (token >= FIRST_HANDSHAKE_TOKEN) {
    const place = (token - FIRST_HANDSHAKE_TOKEN) & PLACE_MASK;
    return hsToken[place] === token ? hsSlot[place]!.socketPath : "vfio-user";
  }
  return slots.get(token >= PUBLIC_TOKEN ? token - PUBLIC_TOKEN : token)?.socketPath ?? "vfio-user";
}

/** Keep the longest wall and CPU time of one event; name an event every other device waited long for. */
function recordEventTime(token: number, what: string, micros: number, cpuMicros: number): void {
  if (micros > Atomics.load(counters, COUNTER.longestEventMicros)) Atomics.store(counters, COUNTER.longestEventMicros, micros);
  if (cpuMicros > Atomics.load(counters, COUNTER.longestEventCpuMicros)) Atomics.store(counters, COUNTER.longestEventCpuMicros, cpuMicros);
  if (micros > SLOW_EVENT_MICROS) {
    // Blocked in a call (voluntary switches) or held off a core (involuntary), since this turn began.
    readContextSwitches();
    const waits = usage[LAYOUT.rusage.ru_nvcsw / 4]! - turnWaits;
    const preemptions = usage[LAYOUT.rusage.ru_nivcsw / 4]! - turnPreemptions;
    log("warn", `${socketPathOf(token)}: one ${what} held the loop for ${(micros / 1000).toFixed(1)} ms (${(cpuMicros / 1000).toFixed(1)} ms of it on the CPU; ` +
      `this turn so far ${waits} blocking waits, ${preemptions} preemptions)`);
  }
}

/** Take the control messages the eventfd announced. False once told to shut down. */
async function takeControlMessages(): Promise<boolean> {
  for (; controlPending > 0; controlPending--) {
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
      return false;
    }
  }
  return true;
}

async function runLoop(): Promise<void> {
  for (;;) {
    const n = libc.epoll_wait(epfd, readyEventsPtr, MAX_EVENTS, nextWait());
    if (n < 0) {
      const e = errno();
      if (e === LIBC.EINTR) continue;
      post({ type: "fatal", message: `epoll_wait failed: ${strerror(e)}` });
      return;
    }
    count(COUNTER.wakeups);
    readContextSwitches();
    turnWaits = usage[LAYOUT.rusage.ru_nvcsw / 4]!;
    turnPreemptions = usage[LAYOUT.rusage.ru_nivcsw / 4]!;
    let before = performance.now();
    let cpuBefore = threadCpuMicros();
    for (let i = 0; i < n; i++) {
      // Tokens are below 2^31, so the low half of the u64 data field holds them.
      const token = readyEvents.getUint32(i * LAYOUT.epoll_event.size + LAYOUT.epoll_event.data, true);
      const events = readyEvents.getUint32(i * LAYOUT.epoll_event.size + LAYOUT.epoll_event.events, true);
      const what = serviceEvent(token, events);
      const after = performance.now();
      const cpuAfter = threadCpuMicros();
      recordEventTime(token, what, Math.round((after - before) * 1000), Math.round(cpuAfter - cpuBefore));
      before = after;
      cpuBefore = cpuAfter;
    }
    if (controlPending > 0 && !(await takeControlMessages())) return shutdown();
  }
}

function shutdown(): void {
  for (const slot of [...slots.values()]) removeDevice(slot);
  libc.close(eventFd);
  libc.close(epfd);
  for (const cb of callbacks) cb.close();
  post({ type: "closed" });
}

/** Everything the start message decides: the library, the ring, the epoll set, the callbacks. Null, or what failed. */
function init(start: WorkerStart): string | null {
  minRank = RANK[start.logLevel];
  libvfioUserLog = start.logLevel === "debug";
  clientTimeoutMs = start.clientTimeoutMs;
  clientTimeout.setBigInt64(LAYOUT.timeval.tv_sec, BigInt(Math.floor(clientTimeoutMs / 1000)), true);
  clientTimeout.setBigInt64(LAYOUT.timeval.tv_usec, BigInt((clientTimeoutMs % 1000) * 1000), true);
  ring = new EventRing(start.events);
  counters = start.counters;
  ({ lib, path: libraryPath } = openLibvfioUser({ ...process.env, LIBVFIO_USER_PATH: start.libraryPath }));

  epfd = libc.epoll_create1(LIBC.EPOLL_CLOEXEC);
  eventFd = libc.eventfd(0, LIBC.EFD_CLOEXEC | LIBC.EFD_NONBLOCK);
  if (epfd < 0 || eventFd < 0) return `epoll_create1/eventfd failed: ${strerror(errno())}`;
  if (epollCtl(LIBC.EPOLL_CTL_ADD, eventFd, CONTROL_TOKEN) < 0) return `epoll_ctl(eventfd) failed: ${strerror(errno())}`;

  callbacks = [logCallback(vfuLog), regionAccessCallback(bar0Access), regionAccessCallback(configAccess), resetCallback(deviceReset)];
  [logCb, bar0Cb, configCb, resetCb] = callbacks.map((cb) => {
    if (cb.ptr === null) throw new Error("bun:ffi gave a JSCallback no address");
    return cb.ptr;
  }) as [Pointer, Pointer, Pointer, Pointer];
  return null;
}

async function main(): Promise<void> {
  const start = await new Promise<WorkerStart>((resolve) => (started = resolve));
  const failed = init(start);
  if (failed !== null) {
    post({ type: "fatal", message: failed });
    return;
  }
  post({ type: "ready", eventFd, libraryPath });
  await runLoop();
}

main().catch((err: unknown) => post({ type: "fatal", message: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
