// Serves any number of MockDevices to QEMU's `x-pci-proxy-dev`, one UNIX socket each, all in
// this process on Bun's event loop. QEMU (or `mock-accel launch`) connects to a device's
// socket and hands the connected fd to QEMU.
//
// File descriptors: QEMU attaches guest-RAM fds to SYNC_SYSMEM and two eventfds to SET_IRQFD
// (SCM_RIGHTS). The device needs none of them. Bun reads sockets with recv() and no control
// buffer, and for that case the kernel drops the attached fds (scm_recv: MSG_CTRUNC, then
// scm_destroy puts each file): they are released on receipt and never enter this process's
// fd table. test/proxy-host.test.ts checks it with a pipe whose other end must see EOF.
import { EventEmitter } from "node:events";
import { existsSync, lstatSync, mkdirSync, unlinkSync } from "node:fs";
import { dirname } from "node:path";
import type { Socket, UnixSocketListener } from "bun";
import { BAR0_SIZE_BYTES, type DeviceConfig, type RegisterName } from "../../generated/registers.ts";
import { silentLogger, type Logger } from "../../device/logger.ts";
import { MockDevice } from "../../device/mock-device.ts";
import type { ProtocolError } from "./parser.ts";
import { ProxyConnection } from "./proxy-connection.ts";
import { ProxyFunction } from "./proxy-function.ts";

export interface ProxyDeviceOptions {
  /** Where the device listens; a stale socket file there is replaced. */
  socketPath: string;
  kind: "pf" | "vf";
  config: DeviceConfig;
  /** Name in logs and events (default: the socket file's name). */
  name?: string;
}

export interface ProxyDevice {
  readonly name: string;
  readonly socketPath: string;
  readonly device: MockDevice;
  /** True while QEMU is connected. */
  readonly connected: boolean;
  /** BAR0's guest-physical base as the guest programmed it. */
  readonly bar0Base: bigint;
}

export interface ProxyHostEvents {
  connect: [{ device: ProxyDevice }];
  disconnect: [{ device: ProxyDevice; messages: number }];
  "protocol-error": [{ device: ProxyDevice; error: ProtocolError | { reason: string } }];
  "register-write": [{ device: ProxyDevice; name: RegisterName; value: bigint; previous: bigint }];
}

interface SocketData {
  entry: DeviceEntry;
  connection: ProxyConnection | null;
}

class DeviceEntry implements ProxyDevice {
  listener: UnixSocketListener<SocketData> | null = null;
  active: Socket<SocketData> | null = null;
  readonly fn: ProxyFunction;

  constructor(
    readonly name: string,
    readonly socketPath: string,
    readonly device: MockDevice,
    log: Logger,
  ) {
    this.fn = new ProxyFunction(device, { read: (o, s) => Number(device.configSpace.read(o, s)) }, BAR0_SIZE_BYTES, log, name);
  }

  get connected(): boolean {
    return this.active !== null;
  }

  get bar0Base(): bigint {
    return this.fn.config.bar0Base;
  }
}

export class ProxyHost extends EventEmitter<ProxyHostEvents> {
  private readonly log: Logger;
  private readonly entries: DeviceEntry[] = [];
  private closed = false;

  constructor(options: { log?: Logger } = {}) {
    super();
    this.log = options.log ?? silentLogger;
  }

  /** Nothing to start before devices are added; kept for the same shape as VfioUserHost. */
  async start(): Promise<void> {}

  get devices(): readonly ProxyDevice[] {
    return this.entries;
  }

  /** Creates a device and starts listening on its socket. */
  addDevice(options: ProxyDeviceOptions): ProxyDevice {
    if (this.closed) throw new Error("proxy host is closed");
    const name = options.name ?? options.socketPath.split("/").pop()!.replace(/\.sock$/, "");
    const device = new MockDevice({ kind: options.kind, config: options.config, log: this.log });
    const entry = new DeviceEntry(name, options.socketPath, device, this.log);
    device.on("register-write", (e: { name: RegisterName; value: bigint; previous: bigint }) =>
      this.emit("register-write", { device: entry, name: e.name, value: e.value, previous: e.previous }),
    );
    removeStaleSocket(options.socketPath);
    mkdirSync(dirname(options.socketPath), { recursive: true });
    entry.listener = Bun.listen<SocketData>({
      unix: options.socketPath,
      socket: {
        open: (socket) => this.onOpen(entry, socket),
        data: (socket, chunk) => this.onData(socket, chunk),
        drain: (socket) => socket.data?.connection?.drain(),
        close: (socket) => this.onClose(socket),
        error: (socket, err) => this.log.error(`${entry.name}: socket error: ${err.message}`),
      },
    });
    this.entries.push(entry);
    this.log.info(`${name}: ${options.kind} listening on ${options.socketPath} (x-pci-proxy-dev)`);
    return entry;
  }

  /** Stops every listener, drops connections, removes the socket files. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const e of this.entries) {
      e.active?.terminate();
      e.listener?.stop(true);
      e.listener = null;
      removeStaleSocket(e.socketPath);
    }
  }

  private onOpen(entry: DeviceEntry, socket: Socket<SocketData>): void {
    if (entry.active !== null) {
      this.log.warn(`${entry.name}: refused a second connection (QEMU is already connected)`);
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
    this.log.info(`${entry.name}: QEMU connected`);
    this.emit("connect", { device: entry });
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
      this.emit("protocol-error", { device: entry, error: { reason: (err as Error).message } });
      return;
    }
    if (outcome.kind === "protocol-error") {
      const e = outcome.error;
      this.log.error(`${entry.name}: closing the connection: bad message at byte ${e.offsetBytes} of a read: ${e.reason}`);
      this.emit("protocol-error", { device: entry, error: e });
    } else if (outcome.kind === "overrun") {
      this.log.error(`${entry.name}: closing the connection: the peer left ${outcome.pendingBytes} bytes of replies unread`);
      this.emit("protocol-error", { device: entry, error: { reason: `peer left ${outcome.pendingBytes} bytes of replies unread` } });
    }
  }

  private onClose(socket: Socket<SocketData>): void {
    const data = socket.data as SocketData | undefined;
    if (!data || data.connection === null) return;
    const { entry, connection } = data;
    if (entry.active !== socket) return;
    entry.active = null;
    if (connection.partialBytes > 0) {
      this.log.error(`${entry.name}: connection closed in the middle of a message (${connection.partialBytes} bytes of it arrived)`);
      this.emit("protocol-error", { device: entry, error: { reason: `truncated message: ${connection.partialBytes} bytes` } });
    }
    this.log.info(`${entry.name}: QEMU disconnected after ${connection.messages} messages`);
    this.emit("disconnect", { device: entry, messages: connection.messages });
  }
}

function removeStaleSocket(path: string): void {
  if (!existsSync(path)) return;
  if (!lstatSync(path).isSocket()) throw new Error(`${path} exists and is not a socket; refusing to replace it`);
  unlinkSync(path);
}
