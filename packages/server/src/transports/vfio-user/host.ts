// VfioUserHost: many vfio-user devices in one process. The main thread keeps only bookkeeping;
// every libvfio-user context lives in one event-loop worker (worker.ts), which it steers with
// posted messages plus an eventfd bump that wakes the worker's epoll_wait. What the worker has to
// say per event (logs, clients, register writes) comes back through a SharedArrayBuffer ring
// that this side drains on a timer, never as a message (event-ring.ts says why).
//
//   const host = await VfioUserHost.start({ log });
//   const dev = await host.addDevice({ socketPath, kind: "pf", config });
//   host.on("register-write", (e) => ...);
//   await host.close();          // removes every socket
import { ptr } from "bun:ffi";
import { EventEmitter } from "node:events";
import { silentLogger, type Logger, type LogLevel } from "../../device/logger.ts";
import type { AddDeviceOptions, DeviceHost, DeviceHostEvents, HostedDevice } from "../device-host.ts";
import { EventRing, type EventRingReader } from "./event-ring.ts";
import { openLibc } from "./libc.ts";
import { openLibvfioUser } from "./libvfio-user.ts";
import { COUNTER, COUNTER_SLOTS, type DeviceKind, type FromWorker, type RingEvent, type ToWorker, type WorkerStart } from "./protocol.ts";
import { prepareSocketPath, removeSocketFile, socketMode } from "../socket-path.ts";

export interface VfioUserHostOptions {
  log?: Logger;
  /** Lowest level the worker forwards to `log` (default "info"); "debug" includes libvfio-user's own. */
  logLevel?: LogLevel;
  /**
   * Time a new client has to send its VERSION message before it is dropped (it never holds
   * the event loop meanwhile), and the receive/send timeout on attached connections: a client
   * that stops in the middle of a message holds the (shared) event loop for at most this long.
   * Default 1000 ms.
   */
  clientTimeoutMs?: number;
  /** How often the worker's events (logs, clients, register writes) are taken in. Default 20 ms. */
  eventIntervalMs?: number;
}

/** Connection counters since start (see COUNTER in protocol.ts). */
export type HostStats = Record<keyof typeof COUNTER, number> & { eventsDropped: number };

export type { AddDeviceOptions, HostedDevice, HostRegisterWriteEvent, HostClientEvent } from "../device-host.ts";

/** VfioUserHost emits exactly the events every DeviceHost does. */
export type VfioUserHostEvents = DeviceHostEvents;

export { DEFAULT_SOCKET_MODE } from "../socket-path.ts";

interface Pending {
  resolve(): void;
  reject(err: Error): void;
}

export class VfioUserHost extends EventEmitter<VfioUserHostEvents> implements DeviceHost {
  readonly transport = "vfio-user";
  private readonly devices = new Map<number, { socketPath: string; kind: DeviceKind }>();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closing: Promise<void> | undefined;
  private closedResolve: (() => void) | undefined;
  private dead: Error | undefined;
  /** ArrayBuffer-backed so its address never moves (see worker.ts). */
  private readonly wake = new BigUint64Array(new ArrayBuffer(8)).fill(1n);
  private readonly drainTimer: ReturnType<typeof setInterval>;
  private eventsDropped = 0;

  private constructor(
    private readonly worker: Worker,
    private readonly ready: { eventFd: number },
    private readonly ring: EventRing,
    private readonly counters: Int32Array,
    private readonly log: Logger,
    /** The libvfio-user the worker opened. */
    readonly libraryPath: string,
    eventIntervalMs: number,
  ) {
    super();
    worker.onmessage = (event: MessageEvent<FromWorker>) => this.receive(event.data);
    worker.onerror = (event) => this.die(new Error(`vfio-user worker crashed: ${event.message}`));
    this.drainTimer = setInterval(() => this.drainEvents(), eventIntervalMs);
    this.drainTimer.unref();
  }

  /** Start the event-loop worker. Fails (listing every path tried) when libvfio-user is missing. */
  static async start(options: VfioUserHostOptions = {}): Promise<VfioUserHost> {
    const log = options.log ?? silentLogger;
    // Opened here first so a missing library fails in the caller with the full list of paths.
    const { path: libraryPath } = openLibvfioUser();
    openLibc();
    // smol: JavaScriptCore sizes the worker's heap for little memory. Its live data is ~2 MB;
    // without it the heap grew to ~17 MB between collections under a connection flood (issue 17
    // soak, BUN_JSC_logGC=1: 39 -> 29 MiB of anonymous memory at the end), with no change at start.
    const worker = new Worker(workerUrl(), { smol: true });
    const events = EventRing.create();
    const counters = new Int32Array(new SharedArrayBuffer(COUNTER_SLOTS * 4));
    const clientTimeoutMs = options.clientTimeoutMs ?? 1000;
    const ready = await new Promise<FromWorker & { type: "ready" }>((resolve, reject) => {
      worker.onmessage = (event: MessageEvent<FromWorker>) => {
        const m = event.data;
        if (m.type === "ready") resolve(m);
        else if (m.type === "fatal") reject(new Error(`vfio-user worker failed to start: ${m.message}`));
      };
      worker.onerror = (event) => reject(new Error(`vfio-user worker failed to start: ${event.message}`));
      const start: WorkerStart = {
        libraryPath,
        logLevel: options.logLevel ?? "info",
        clientTimeoutMs,
        events,
        counters,
      };
      worker.postMessage(start);
    }).catch((err: unknown) => {
      worker.terminate();
      throw err;
    });
    return new VfioUserHost(worker, ready, new EventRing(events), counters, log, ready.libraryPath, options.eventIntervalMs ?? 20);
  }

  /** Serve one device on a new socket. Resolves once the socket is listening. */
  async addDevice(options: AddDeviceOptions): Promise<HostedDevice> {
    this.assertOpen();
    const socketPath = await prepareSocketPath(options.socketPath);
    for (const d of this.devices.values()) {
      if (d.socketPath === socketPath) throw new Error(`${socketPath}: already served by this process`);
    }
    const id = this.nextId++;
    const mode = socketMode(socketPath, options.socketMode);
    this.devices.set(id, { socketPath, kind: options.kind });
    try {
      await this.request(id, {
        type: "add",
        id,
        socketPath,
        kind: options.kind,
        config: options.config,
        socketMode: mode,
        multifunction: options.multifunction,
      });
    } catch (err) {
      this.devices.delete(id);
      throw err;
    }
    let closed: Promise<void> | undefined;
    return {
      socketPath,
      kind: options.kind,
      close: () => (closed ??= this.removeDevice(id)),
    };
  }

  /** Connection counters since start, read from the worker's shared memory. */
  stats(): HostStats {
    const stats = { eventsDropped: this.eventsDropped + this.ring.takeDropped() } as HostStats;
    this.eventsDropped = stats.eventsDropped;
    for (const [name, slot] of Object.entries(COUNTER)) stats[name as keyof typeof COUNTER] = Atomics.load(this.counters, slot);
    return stats;
  }

  /** Sockets currently served. */
  get socketPaths(): string[] {
    return [...this.devices.values()].map((d) => d.socketPath);
  }

  /** Stop every device, remove their sockets, stop the worker. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async removeDevice(id: number): Promise<void> {
    if (!this.devices.has(id) || this.closing) return;
    await this.request(id, { type: "remove", id });
    this.devices.delete(id);
  }

  private async shutdown(): Promise<void> {
    // Hold the event loop open until the sockets are gone, whatever else the caller holds.
    const keepAlive = setInterval(() => {}, 1000);
    try {
      await this.stopWorker();
    } finally {
      clearInterval(keepAlive);
    }
  }

  private async stopWorker(): Promise<void> {
    if (!this.dead) {
      const closed = new Promise<void>((resolve) => (this.closedResolve = resolve));
      this.send({ type: "shutdown" });
      const timeout = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 5000).unref());
      if ((await Promise.race([closed, timeout])) === "timeout") this.log.warn("vfio-user worker did not stop within 5 s; terminating it");
    }
    this.worker.terminate();
    clearInterval(this.drainTimer);
    this.drainEvents();
    // The worker unlinks each socket; this covers a worker that died first.
    for (const d of this.devices.values()) removeSocketFile(d.socketPath);
    this.devices.clear();
  }

  private request(id: number, message: ToWorker): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send(message);
    });
  }

  private send(message: ToWorker): void {
    this.worker.postMessage(message);
    // One bump per message: the worker takes exactly as many messages as the counter says.
    const written = openLibc().write(this.ready.eventFd, ptr(this.wake), 8);
    if (Number(written) !== 8) this.die(new Error("could not wake the vfio-user worker (eventfd write failed)"));
  }

  private receive(m: FromWorker): void {
    switch (m.type) {
      case "added":
      case "removed":
        this.settle(m.id);
        return;
      case "add-failed":
        this.settle(m.id, new Error(m.message));
        return;
      case "closed":
        this.closedResolve?.();
        return;
      case "fatal":
        this.die(new Error(`vfio-user worker failed: ${m.message}`));
        return;
      case "ready":
        return;
    }
  }

  /** Made once: draining allocates nothing for the records that come per connection. */
  private readonly ringReader: EventRingReader = {
    text: (text) => {
      const e = JSON.parse(text) as RingEvent;
      if (e.type === "log") {
        forwardLog(this.log, e.level, e.message);
      } else {
        const d = this.devices.get(e.id);
        if (d) this.emit("register-write", { socketPath: d.socketPath, kind: d.kind, name: e.name, value: BigInt(e.value), previous: BigInt(e.previous) });
      }
    },
    client: (id, connected) => {
      // Only listeners get an event object.
      if (this.listenerCount("client") === 0) return;
      const d = this.devices.get(id);
      if (d) this.emit("client", { socketPath: d.socketPath, connected });
    },
  };

  /** Take in what the worker has appended to the event ring since the last call. */
  private drainEvents(): void {
    this.ring.drain(this.ringReader);
    const dropped = this.ring.takeDropped();
    if (dropped > 0) {
      this.eventsDropped += dropped;
      this.log.warn(`vfio-user: ${dropped} worker events (logs, client events) dropped: more arrived than the ring holds`);
    }
  }

  private settle(id: number, err?: Error): void {
    const p = this.pending.get(id);
    this.pending.delete(id);
    if (err) p?.reject(err);
    else p?.resolve();
  }

  private die(err: Error): void {
    if (this.dead) return;
    this.dead = err;
    this.log.error(err.message);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.closedResolve?.();
  }

  private assertOpen(): void {
    if (this.dead) throw this.dead;
    if (this.closing) throw new Error("VfioUserHost is closed");
  }
}

function forwardLog(log: Logger, level: "debug" | "info" | "warn" | "error", message: string): void {
  log[level](message);
}

/**
 * The worker's module. In a `bun build --compile` binary the worker is bundled as a second
 * entry point and is addressed by its path relative to the binary's root.
 */
function workerUrl(): string {
  const override = process.env.MOCK_ACCEL_VFIO_USER_WORKER;
  if (override) return override;
  return new URL("./worker.ts", import.meta.url).href;
}
