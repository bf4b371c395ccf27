// ProxyHost: any number of MockDevices served to QEMU's `x-pci-proxy-dev`, one UNIX socket
// each, all in this process on Bun's event loop. A DeviceHost like VfioUserHost, so callers
// (serve, up, launch, the end-to-end suite) switch transports with startDeviceHost's argument:
//
//   const host = await ProxyHost.start({ log });
//   const dev = await host.addDevice({ socketPath, kind: "pf", config, multifunction: true });
//   host.on("register-write", (e) => ...);
//   const fd = connectUnixSocket(dev.socketPath);   // hand to QEMU: x-pci-proxy-dev,fd=N
//   await host.close();
//
// File descriptors: QEMU attaches guest-RAM fds to SYNC_SYSMEM and two eventfds to SET_IRQFD
// (SCM_RIGHTS). The device needs none of them. Bun reads sockets with recv() and no control
// buffer, and for that case the kernel drops the attached fds (scm_recv: MSG_CTRUNC, then
// scm_destroy puts each file): they are released on receipt and never enter this process's
// fd table. test/proxy-host.test.ts checks it with a pipe whose other end must see EOF.
import { chmodSync } from "node:fs";
import { EventEmitter } from "node:events";
import type { FdSocketOptions, Socket, UnixSocketListener, UnixSocketOptions } from "bun";
import { BAR0_SIZE_BYTES } from "../../generated/registers.ts";
import type { DeviceKind } from "../../device/device-config.ts";
import { prefixed, silentLogger, type Logger } from "../../device/logger.ts";
import { MockDevice } from "../../device/mock-device.ts";
import type { AddDeviceOptions, DeviceHost, DeviceHostEvents, HostClientEvent, HostedDevice, HostRegisterWriteEvent } from "../device-host.ts";
import { prepareSocketPath, removeSocketFile, socketMode, umaskFor } from "../socket-path.ts";
import type { ProtocolError } from "./parser.ts";
import { ProxyConnection } from "./proxy-connection.ts";
import { ProxyFunction } from "./proxy-function.ts";

export interface ProxyHostOptions {
  log?: Logger;
  /**
   * A peer that sends no complete message within this long after connecting is disconnected,
   * so a silent connection cannot hold the device (it has one peer at a time). QEMU sends its
   * first config read as it realizes the device. Default 10,000 ms.
   */
  handshakeTimeoutMs?: number;
}

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/** DeviceHost's options, or an already connected fd in place of the socket path. */
export interface ProxyAddDeviceOptions extends Omit<AddDeviceOptions, "socketPath"> {
  /** Listen here; QEMU's side connects (`connectUnixSocket`) and inherits the fd. */
  socketPath?: string;
  /**
   * Or serve an already connected socket, e.g. one end of `unixSocketPair()` whose other end
   * QEMU inherits. The host owns it from now on; the device has this one peer only, and its
   * events carry the socketPath `fd:<n>`.
   */
  fd?: number;
  /** Name in logs (default: the socket file's name without `.sock`). */
  name?: string;
}

export interface ProxyHostedDevice extends HostedDevice {
  readonly name: string;
  /** The device model itself (it lives on this thread, unlike VfioUserHost's). */
  readonly device: MockDevice;
  /** True while a peer (QEMU) is connected. */
  readonly connected: boolean;
  /** BAR0's guest-physical base as the guest programmed it through config writes. */
  readonly bar0Base: bigint;
}

export type ProxyRegisterWriteEvent = HostRegisterWriteEvent;
export type ProxyClientEvent = HostClientEvent;

export interface ProxyProtocolErrorEvent {
  socketPath: string;
  /** Where the bad message started and what was wrong; or only the reason for other failures. */
  error: ProtocolError | { reason: string };
}

export interface ProxyHostEvents extends DeviceHostEvents {
  /** A connection was closed because of what it sent. */
  "protocol-error": [ProxyProtocolErrorEvent];
}

export { DEFAULT_SOCKET_MODE } from "../socket-path.ts";

interface SocketData {
  entry: DeviceEntry;
  connection: ProxyConnection | null;
}

class DeviceEntry implements ProxyHostedDevice {
  listener: UnixSocketListener<SocketData> | null = null;
  active: Socket<SocketData> | null = null;
  readonly fn: ProxyFunction;
  close: () => Promise<void> = async () => {};

  constructor(
    readonly name: string,
    readonly socketPath: string,
    readonly kind: DeviceKind,
    readonly device: MockDevice,
    log: Logger,
  ) {
    this.fn = new ProxyFunction(device, { read: (o, s) => device.configSpace.read(o, s) }, BAR0_SIZE_BYTES, log);
  }

  get connected(): boolean {
    return this.active !== null;
  }

  get bar0Base(): bigint {
    return this.fn.config.bar0Base;
  }

  stop(): void {
    this.active?.terminate();
    this.active = null;
    this.listener?.stop(true);
    this.listener = null;
  }
}

export class ProxyHost extends EventEmitter<ProxyHostEvents> implements DeviceHost {
  readonly transport = "proxy";
  private readonly entries = new Map<string, DeviceEntry>();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly log: Logger,
    private readonly handshakeTimeoutMs: number,
  ) {
    super();
  }

  /** Nothing runs before devices are added (no worker: Bun's loop serves the sockets). */
  static async start(options: ProxyHostOptions = {}): Promise<ProxyHost> {
    return new ProxyHost(options.log ?? silentLogger, options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS);
  }

  /** Sockets currently served. */
  get socketPaths(): string[] {
    return [...this.entries.keys()];
  }

  get devices(): ProxyHostedDevice[] {
    return [...this.entries.values()];
  }

  /** Serve one device on a new socket (or a connected fd). Resolves once it is served. */
  async addDevice(options: ProxyAddDeviceOptions): Promise<ProxyHostedDevice> {
    if (this.closing) throw new Error("ProxyHost is closed");
    if ((options.socketPath === undefined) === (options.fd === undefined)) throw new Error("ProxyHost.addDevice: give either socketPath or fd");
    if (options.fd !== undefined) return this.addConnectedDevice(options, options.fd);
    const socketPath = await prepareSocketPath(options.socketPath!);
    if (this.entries.has(socketPath)) throw new Error(`${socketPath}: already served by this process`);
    const mode = socketMode(socketPath, options.socketMode);
    const name = options.name ?? socketPath.split("/").pop()!.replace(/\.sock$/, "");
    const log = prefixed(this.log, name);
    const device = new MockDevice({ kind: options.kind, config: options.config, log, multifunction: options.multifunction ?? false });
    const entry = new DeviceEntry(name, socketPath, options.kind, device, log);
    device.on("register-write", (e) =>
      this.emit("register-write", { socketPath, kind: options.kind, name: e.name, value: e.value, previous: e.previous }),
    );
    // bind() makes the socket file with 0777 & ~umask: with this umask it has `mode` from its
    // first instant, so nobody can connect in a window before a chmod (Bun.listen binds
    // synchronously, and this thread does nothing else meanwhile).
    const oldMask = process.umask(umaskFor(mode));
    try {
      entry.listener = Bun.listen<SocketData>({
        unix: socketPath,
        socket: this.socketHandlers(entry, log),
      });
    } finally {
      process.umask(oldMask);
    }
    try {
      // The umask cannot add bits; this states the mode exactly, whatever the umask held.
      chmodSync(socketPath, mode);
    } catch (err) {
      // Not yet tracked by close(): stop listening and remove the socket here.
      entry.stop();
      removeSocketFile(socketPath);
      throw err;
    }
    let closing: Promise<void> | undefined;
    entry.close = () =>
      (closing ??= (async () => {
        entry.stop();
        this.entries.delete(socketPath);
        removeSocketFile(socketPath);
      })());
    this.entries.set(socketPath, entry);
    log.info(`${options.kind} listening on ${socketPath} (x-pci-proxy-dev)`);
    return entry;
  }

  private async addConnectedDevice(options: ProxyAddDeviceOptions, fd: number): Promise<ProxyHostedDevice> {
    if (!Number.isInteger(fd) || fd < 0) throw new Error(`ProxyHost.addDevice: fd ${fd} is not a file descriptor`);
    const socketPath = `fd:${fd}`;
    if (this.entries.has(socketPath)) throw new Error(`${socketPath}: already served by this process`);
    const name = options.name ?? socketPath;
    const log = prefixed(this.log, name);
    const device = new MockDevice({ kind: options.kind, config: options.config, log, multifunction: options.multifunction ?? false });
    const entry = new DeviceEntry(name, socketPath, options.kind, device, log);
    device.on("register-write", (e) =>
      this.emit("register-write", { socketPath, kind: options.kind, name: e.name, value: e.value, previous: e.previous }),
    );
    this.entries.set(socketPath, entry);
    const adopt: FdSocketOptions<SocketData> = {
      fd,
      socket: this.socketHandlers(entry, log),
    };
    try {
      // bun-types declares FdSocketOptions but no Bun.connect overload taking it; Bun itself
      // accepts it (test/proxy-host.test.ts serves a socketpair end this way).
      await Bun.connect(adopt as unknown as UnixSocketOptions<SocketData>);
    } catch (err) {
      this.entries.delete(socketPath);
      throw new Error(`${socketPath}: cannot serve it: ${(err as Error).message}`);
    }
    let closing: Promise<void> | undefined;
    entry.close = () =>
      (closing ??= (async () => {
        entry.stop();
        this.entries.delete(socketPath);
      })());
    log.info(`${options.kind} serving connected socket ${socketPath} (x-pci-proxy-dev)`);
    return entry;
  }

  /** Stop every device and remove their sockets; a second call waits for the first. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const e of [...this.entries.values()]) await e.close();
    })();
    return this.closing;
  }

  /** The same handlers for a listening socket and for an fd QEMU's launcher hands over. */
  private socketHandlers(entry: DeviceEntry, log: Logger): FdSocketOptions<SocketData>["socket"] {
    return {
      open: (socket) => this.onOpen(entry, socket),
      data: (socket, chunk) => this.onData(socket, chunk),
      drain: (socket) => socket.data?.connection?.drain(),
      close: (socket) => this.onClose(socket),
      error: (_socket, err) => log.error(`socket error: ${err.message}`),
    };
  }

  private onOpen(entry: DeviceEntry, socket: Socket<SocketData>): void {
    if (entry.active !== null) {
      this.log.warn(`${entry.name}: refused a second connection (a peer is already connected)`);
      socket.data = { entry, connection: null };
      socket.end();
      return;
    }
    const connection = new ProxyConnection(entry.fn, {
      write: (bytes) => socket.write(bytes),
      end: () => socket.end(),
    });
    socket.data = { entry, connection };
    entry.active = socket;
    if (this.handshakeTimeoutMs > 0 && !entry.socketPath.startsWith("fd:")) {
      setTimeout(() => {
        if (entry.active !== socket || connection.messages > 0) return;
        this.log.warn(`${entry.name}: peer sent no message within ${this.handshakeTimeoutMs} ms; disconnected it`);
        entry.active = null;
        socket.terminate();
      }, this.handshakeTimeoutMs).unref();
    }
    this.log.info(`${entry.name}: peer connected`);
    this.emit("client", { socketPath: entry.socketPath, connected: true });
  }

  private onData(socket: Socket<SocketData>, chunk: Uint8Array): void {
    const { entry, connection } = socket.data;
    if (connection === null) return;
    let outcome;
    try {
      outcome = connection.receive(chunk);
    } catch (err) {
      // A bug in the device model must not take the other devices down with it.
      this.log.error(`${entry.name}: closing the connection: ${(err as Error).stack ?? String(err)}`);
      connection.close();
      this.emit("protocol-error", { socketPath: entry.socketPath, error: { reason: (err as Error).message } });
      return;
    }
    if (outcome.kind === "protocol-error") {
      const e = outcome.error;
      this.log.error(`${entry.name}: closing the connection: bad message at byte ${e.offsetBytes} of a read: ${e.reason}`);
      this.emit("protocol-error", { socketPath: entry.socketPath, error: e });
    } else if (outcome.kind === "overrun") {
      const reason = `the peer left ${outcome.pendingBytes} bytes of replies unread`;
      this.log.error(`${entry.name}: closing the connection: ${reason}`);
      this.emit("protocol-error", { socketPath: entry.socketPath, error: { reason } });
    }
  }

  private onClose(socket: Socket<SocketData>): void {
    const data = socket.data as SocketData | undefined;
    if (!data || data.connection === null) return;
    const { entry, connection } = data;
    if (entry.active === socket) entry.active = null;
    else if (entry.active !== null) return;
    if (connection.partialBytes > 0) {
      const reason = `connection closed in the middle of a message (${connection.partialBytes} bytes of it arrived)`;
      this.log.error(`${entry.name}: ${reason}`);
      this.emit("protocol-error", { socketPath: entry.socketPath, error: { reason } });
    }
    this.log.info(`${entry.name}: peer disconnected after ${connection.messages} messages`);
    this.emit("client", { socketPath: entry.socketPath, connected: false });
  }
}
