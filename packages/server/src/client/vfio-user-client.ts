// A vfio-user client over a UNIX socket: the side QEMU plays, without DMA or interrupts.
// Used by the tests, `mock-accel probe` and the benchmarks, so the request path avoids
// allocations it does not need: one request in flight (others queue), headers built in a reused buffer,
// one deadline check timer per connection instead of one timer per request.
import type { Socket } from "bun";
import { constants as osConstants } from "node:os";
import {
  CLIENT_VERSION,
  encodeVersionPayload,
  COMMAND_NAMES,
  DEVICE_INFO_BYTES,
  FLAG_ERROR,
  FLAG_TYPE_COMMAND,
  FLAG_TYPE_MASK,
  FLAG_TYPE_REPLY,
  HEADER_BYTES,
  PCI_REGION,
  REGION_ACCESS_BYTES,
  REGION_INFO_BYTES,
  VfioUserCommand,
} from "./vfio-user-protocol.ts";

export interface ConnectOptions {
  /** Limit for connecting, and for each request's reply. Default 5000 ms. */
  timeoutMs?: number;
  /** JSON capabilities sent with VERSION. Default: max_msg_fds 8, max_data_xfer_size 1 MiB. */
  capabilities?: Record<string, unknown>;
}

export interface VersionInfo {
  major: number;
  minor: number;
  /** The server's JSON capabilities, parsed ({} when it sent none). */
  capabilities: Record<string, unknown>;
}

export interface DeviceInfo {
  flags: number;
  numRegions: number;
  numIrqs: number;
  /** flags has VFIO_DEVICE_FLAGS_PCI. */
  pci: boolean;
  /** flags has VFIO_DEVICE_FLAGS_RESET. */
  reset: boolean;
}

export interface RegionInfo {
  index: number;
  flags: number;
  sizeBytes: number;
  /** Offset for mmap (meaningful with the MMAP flag). */
  offset: bigint;
  /** argsz the server needs to describe the region with its capability chain. */
  argsz: number;
  capOffset: number;
  readable: boolean;
  writable: boolean;
  mmappable: boolean;
}

const CONNECT_HINTS: Record<string, string> = {
  ENOENT: "no such socket; is the server running?",
  ECONNREFUSED: "nothing is listening on it",
  EACCES: "permission denied",
  ENOTSOCK: "not a socket",
};

const errnoNames: Record<number, string> = Object.fromEntries(
  Object.entries(osConstants.errno).map(([name, num]) => [num, name]),
);

/** The server answered a request with an error reply. */
export class VfioUserError extends Error {
  constructor(
    readonly command: number,
    readonly errno: number,
  ) {
    super(`vfio-user ${COMMAND_NAMES[command] ?? `command ${command}`} failed: ${errnoNames[errno] ?? "errno"} (${errno})`);
    this.name = "VfioUserError";
  }
}

interface Pending {
  msgId: number;
  command: number;
  deadline: number;
  resolve: (payload: Uint8Array) => void;
  reject: (err: Error) => void;
}

export class VfioUserClient {
  private socket!: Socket<undefined>;
  private pending: Pending | null = null;
  private readonly queue: { request: Pending; msg: Uint8Array }[] = [];
  private nextMsgId = 1;
  private closedError: Error | null = null;
  /** Bytes received but not yet a whole message. */
  private rx = new Uint8Array(4096);
  private rxLength = 0;
  /** Bytes the socket did not take yet (Bun's write is partial under back-pressure). */
  private txBacklog: Uint8Array | null = null;
  private readonly request = new Uint8Array(HEADER_BYTES + REGION_ACCESS_BYTES + 64);
  private readonly requestView = new DataView(this.request.buffer);
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly timeoutMs: number;
  /** Largest data transfer the server accepts in one message (from VERSION). */
  maxDataXferBytes = 1 << 20;
  version: VersionInfo | null = null;

  private constructor(
    readonly socketPath: string,
    timeoutMs: number,
  ) {
    this.timeoutMs = timeoutMs;
  }

  /** Connect to a vfio-user server and negotiate the protocol version. */
  static async connect(socketPath: string, options: ConnectOptions = {}): Promise<VfioUserClient> {
    const timeoutMs = options.timeoutMs ?? 5000;
    const client = new VfioUserClient(socketPath, timeoutMs);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const connecting = Bun.connect<undefined>({
        unix: socketPath,
        socket: {
          binaryType: "uint8array",
          data: (_s, chunk) => client.onData(chunk),
          drain: () => client.onDrain(),
          close: () => client.onClose(new Error(`vfio-user server at ${socketPath} closed the connection`)),
          error: (_s, err) => client.onClose(new Error(`vfio-user socket ${socketPath}: ${err.message}`)),
          end: () => client.onClose(new Error(`vfio-user server at ${socketPath} closed the connection`)),
        },
      });
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          // A connection that completes after we gave up must not stay open.
          connecting.then((late) => late.end(), () => {});
          reject(new Error(`timed out after ${timeoutMs} ms`));
        }, timeoutMs);
      });
      client.socket = await Promise.race([connecting, timeout]);
    } catch (err) {
      const code = (err as { code?: string }).code;
      const hint = code === undefined ? "" : CONNECT_HINTS[code] ?? "";
      const why = code !== undefined ? `${code}${hint ? ` (${hint})` : ""}` : err instanceof Error ? err.message : String(err);
      throw new Error(`cannot connect to vfio-user socket ${socketPath}: ${why}`);
    } finally {
      clearTimeout(timer);
    }
    client.timer = setInterval(() => client.checkDeadline(), Math.max(50, Math.min(1000, timeoutMs / 4)));
    client.timer.unref?.();
    try {
      await client.negotiate(options.capabilities);
    } catch (err) {
      client.close();
      throw err;
    }
    return client;
  }

  private async negotiate(capabilities?: Record<string, unknown>): Promise<void> {
    const payload = encodeVersionPayload(capabilities ?? { max_msg_fds: 8, max_data_xfer_size: 1 << 20 });
    const reply = await this.call(VfioUserCommand.VERSION, payload);
    if (reply.length < 4) throw new Error(`vfio-user VERSION reply too short (${reply.length} bytes)`);
    const rv = new DataView(reply.buffer, reply.byteOffset, reply.byteLength);
    const major = rv.getUint16(0, true);
    const minor = rv.getUint16(2, true);
    if (major !== CLIENT_VERSION.major) throw new Error(`vfio-user server speaks version ${major}.${minor}, this client ${CLIENT_VERSION.major}.${CLIENT_VERSION.minor}`);
    let caps: Record<string, unknown> = {};
    if (reply.length > 4) {
      const end = reply.indexOf(0, 4);
      const body = new TextDecoder().decode(reply.subarray(4, end < 0 ? reply.length : end));
      try {
        const parsed = JSON.parse(body) as { capabilities?: Record<string, unknown> };
        caps = parsed.capabilities ?? {};
      } catch {
        throw new Error(`vfio-user VERSION reply carries invalid JSON: ${body.slice(0, 80)}`);
      }
    }
    const xfer = caps.max_data_xfer_size;
    if (typeof xfer === "number" && xfer > 0) this.maxDataXferBytes = xfer;
    this.version = { major, minor, capabilities: caps };
  }

  async deviceInfo(): Promise<DeviceInfo> {
    const payload = new Uint8Array(DEVICE_INFO_BYTES);
    new DataView(payload.buffer).setUint32(0, DEVICE_INFO_BYTES, true);
    const r = await this.call(VfioUserCommand.DEVICE_GET_INFO, payload);
    if (r.length < DEVICE_INFO_BYTES) throw new Error(`vfio-user DEVICE_GET_INFO reply too short (${r.length} bytes)`);
    const v = new DataView(r.buffer, r.byteOffset, r.byteLength);
    const flags = v.getUint32(4, true);
    return { flags, numRegions: v.getUint32(8, true), numIrqs: v.getUint32(12, true), pci: (flags & 2) !== 0, reset: (flags & 1) !== 0 };
  }

  async regionInfo(index: number): Promise<RegionInfo> {
    const payload = new Uint8Array(REGION_INFO_BYTES);
    const pv = new DataView(payload.buffer);
    pv.setUint32(0, REGION_INFO_BYTES, true);
    pv.setUint32(8, index, true);
    const r = await this.call(VfioUserCommand.DEVICE_GET_REGION_INFO, payload);
    if (r.length < REGION_INFO_BYTES) throw new Error(`vfio-user DEVICE_GET_REGION_INFO reply too short (${r.length} bytes)`);
    const v = new DataView(r.buffer, r.byteOffset, r.byteLength);
    const flags = v.getUint32(4, true);
    const size = v.getBigUint64(16, true);
    return {
      index: v.getUint32(8, true),
      flags,
      argsz: v.getUint32(0, true),
      capOffset: v.getUint32(12, true),
      sizeBytes: Number(size),
      offset: v.getBigUint64(24, true),
      readable: (flags & 1) !== 0,
      writable: (flags & 2) !== 0,
      mmappable: (flags & 4) !== 0,
    };
  }

  /** Read `count` bytes of a region at `offset` (split into transfers the server accepts). */
  async regionRead(index: number, offset: number, count: number): Promise<Uint8Array> {
    if (count <= this.maxDataXferBytes) return this.regionReadOnce(index, offset, count);
    const out = new Uint8Array(count);
    for (let done = 0; done < count; ) {
      const n = Math.min(this.maxDataXferBytes, count - done);
      out.set(await this.regionReadOnce(index, offset + done, n), done);
      done += n;
    }
    return out;
  }

  private async regionReadOnce(index: number, offset: number, count: number): Promise<Uint8Array> {
    const v = this.requestView;
    this.writeHeader(VfioUserCommand.REGION_READ, HEADER_BYTES + REGION_ACCESS_BYTES);
    setU64(v, 16, offset);
    v.setUint32(24, index, true);
    v.setUint32(28, count, true);
    const reply = await this.send(this.request.subarray(0, HEADER_BYTES + REGION_ACCESS_BYTES));
    if (reply.length < REGION_ACCESS_BYTES + count) {
      throw new Error(`vfio-user REGION_READ of ${count} bytes at ${regionLabel(index)}+0x${offset.toString(16)}: reply carries ${reply.length - REGION_ACCESS_BYTES} bytes`);
    }
    return reply.subarray(REGION_ACCESS_BYTES, REGION_ACCESS_BYTES + count);
  }

  /** Write `data` to a region at `offset`. */
  async regionWrite(index: number, offset: number, data: Uint8Array): Promise<void> {
    for (let done = 0; done < data.length || (done === 0 && data.length === 0); ) {
      const n = Math.min(this.maxDataXferBytes, data.length - done);
      const total = HEADER_BYTES + REGION_ACCESS_BYTES + n;
      const reuse = total <= this.request.length;
      const msg = reuse ? this.request.subarray(0, total) : new Uint8Array(total);
      const v = reuse ? this.requestView : new DataView(msg.buffer, msg.byteOffset);
      this.writeHeaderInto(v, VfioUserCommand.REGION_WRITE, total);
      setU64(v, 16, offset + done);
      v.setUint32(24, index, true);
      v.setUint32(28, n, true);
      msg.set(data.subarray(done, done + n), HEADER_BYTES + REGION_ACCESS_BYTES);
      await this.send(msg);
      done += n;
      if (n === 0) break;
    }
  }

  /** Read 1, 2 or 4 bytes of config space (region 7) as a little-endian number. */
  async configRead(offset: number, size: 1 | 2 | 4): Promise<number> {
    const b = await this.regionRead(PCI_REGION.CONFIG, offset, size);
    return size === 1 ? b[0]! : size === 2 ? b[0]! | (b[1]! << 8) : (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }

  /** Write 1, 2 or 4 bytes of config space (region 7), little-endian. */
  async configWrite(offset: number, size: 1 | 2 | 4, value: number): Promise<void> {
    const b = new Uint8Array(size);
    for (let i = 0; i < size; i++) b[i] = (value >>> (8 * i)) & 0xff;
    await this.regionWrite(PCI_REGION.CONFIG, offset, b);
  }

  /** BAR0 little-endian 32-bit read (the benchmark's unit of work). */
  async bar0Read32(offset: number): Promise<number> {
    const b = await this.regionReadOnce(PCI_REGION.BAR0, offset, 4);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }

  async bar0Write32(offset: number, value: number): Promise<void> {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, value >>> 0, true);
    await this.regionWrite(PCI_REGION.BAR0, offset, b);
  }

  /** VFIO_USER_DEVICE_RESET. */
  async reset(): Promise<void> {
    await this.call(VfioUserCommand.DEVICE_RESET, new Uint8Array(0));
  }

  /** Close the connection; a request in flight fails. */
  close(): void {
    this.onClose(new Error(`vfio-user client for ${this.socketPath} was closed`));
    this.socket?.end();
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  /** Send any command with a raw payload and get the reply payload (tests: malformed input). */
  async call(command: number, payload: Uint8Array): Promise<Uint8Array> {
    const msg = new Uint8Array(HEADER_BYTES + payload.length);
    this.writeHeaderInto(new DataView(msg.buffer), command, msg.length);
    msg.set(payload, HEADER_BYTES);
    return this.send(msg);
  }

  private writeHeader(command: number, size: number): void {
    this.writeHeaderInto(this.requestView, command, size);
  }

  private writeHeaderInto(v: DataView, command: number, size: number): void {
    v.setUint16(0, this.nextMsgId, true);
    v.setUint16(2, command, true);
    v.setUint32(4, size, true);
    v.setUint32(8, FLAG_TYPE_COMMAND, true);
    v.setUint32(12, 0, true);
  }

  private send(msg: Uint8Array): Promise<Uint8Array> {
    if (this.closedError) return Promise.reject(this.closedError);
    const msgId = this.nextMsgId;
    this.nextMsgId = (this.nextMsgId + 1) & 0xffff;
    const command = msg[2]! | (msg[3]! << 8);
    return new Promise<Uint8Array>((resolve, reject) => {
      const request: Pending = { msgId, command, deadline: 0, resolve, reject };
      // One request on the wire at a time; callers that do not await each other queue up
      // (with a copy: `msg` may be the reused request buffer).
      if (this.pending !== null) this.queue.push({ request, msg: msg.slice() });
      else this.transmit(request, msg);
    });
  }

  private transmit(request: Pending, msg: Uint8Array): void {
    request.deadline = performance.now() + this.timeoutMs;
    this.pending = request;
    const written = this.socket.write(msg);
    // Bun keeps no copy of what it did not write: keep the rest until the socket drains.
    if (written < msg.length) this.txBacklog = msg.slice(Math.max(0, written));
  }

  private sendNextQueued(): void {
    const next = this.queue.shift();
    if (next !== undefined) this.transmit(next.request, next.msg);
  }

  private onDrain(): void {
    const backlog = this.txBacklog;
    if (backlog === null) return;
    const written = this.socket.write(backlog);
    this.txBacklog = written < backlog.length ? backlog.slice(Math.max(0, written)) : null;
  }

  private onData(chunk: Uint8Array): void {
    // Fast path: the chunk is exactly one whole message (the common case for replies).
    if (this.rxLength === 0 && chunk.length >= HEADER_BYTES) {
      const size = chunk[4]! | (chunk[5]! << 8) | (chunk[6]! << 16) | (chunk[7]! << 24);
      if (size === chunk.length) {
        this.onMessage(chunk);
        return;
      }
    }
    if (this.rxLength + chunk.length > this.rx.length) {
      const grown = new Uint8Array(Math.max(this.rx.length * 2, this.rxLength + chunk.length));
      grown.set(this.rx.subarray(0, this.rxLength));
      this.rx = grown;
    }
    this.rx.set(chunk, this.rxLength);
    this.rxLength += chunk.length;
    let start = 0;
    while (this.rxLength - start >= HEADER_BYTES) {
      const rx = this.rx;
      const size = (rx[start + 4]! | (rx[start + 5]! << 8) | (rx[start + 6]! << 16) | (rx[start + 7]! << 24)) >>> 0;
      if (size < HEADER_BYTES) {
        this.fail(new Error(`vfio-user server at ${this.socketPath} sent a message of size ${size} (< ${HEADER_BYTES})`));
        return;
      }
      if (this.rxLength - start < size) break;
      this.onMessage(rx.slice(start, start + size));
      start += size;
    }
    this.rx.copyWithin(0, start, this.rxLength);
    this.rxLength -= start;
  }

  private onMessage(msg: Uint8Array): void {
    const msgId = msg[0]! | (msg[1]! << 8);
    const command = msg[2]! | (msg[3]! << 8);
    const flags = msg[8]! | (msg[9]! << 8) | (msg[10]! << 16) | (msg[11]! << 24);
    const p = this.pending;
    if ((flags & FLAG_TYPE_MASK) !== FLAG_TYPE_REPLY || p === null || p.msgId !== msgId) {
      this.fail(new Error(`vfio-user server at ${this.socketPath} sent an unexpected message (cmd ${command}, id ${msgId}, flags 0x${flags.toString(16)})`));
      return;
    }
    this.pending = null;
    if (this.queue.length > 0) this.sendNextQueued();
    if (flags & FLAG_ERROR) {
      const errno = (msg[12]! | (msg[13]! << 8) | (msg[14]! << 16) | (msg[15]! << 24)) >>> 0;
      p.reject(new VfioUserError(p.command, errno));
      return;
    }
    if (command !== p.command) {
      p.reject(new Error(`vfio-user reply to ${COMMAND_NAMES[p.command]} carries command ${command}`));
      return;
    }
    p.resolve(msg.subarray(HEADER_BYTES));
  }

  private checkDeadline(): void {
    const p = this.pending;
    if (p !== null && performance.now() > p.deadline) {
      this.fail(new Error(`vfio-user ${COMMAND_NAMES[p.command] ?? p.command} to ${this.socketPath}: no reply within ${this.timeoutMs} ms`));
    }
  }

  /** A protocol failure: the connection cannot be trusted any more. */
  private fail(err: Error): void {
    this.onClose(err);
    this.socket?.end();
  }

  private onClose(err: Error): void {
    if (this.closedError === null) this.closedError = err;
    if (this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
    const p = this.pending;
    this.pending = null;
    p?.reject(err);
    for (const queued of this.queue.splice(0)) queued.request.reject(err);
  }
}

/** Store a non-negative safe integer as u64 without allocating a bigint (the read hot path). */
function setU64(v: DataView, at: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`offset ${value} is not a non-negative integer`);
  v.setUint32(at, value >>> 0, true);
  v.setUint32(at + 4, Math.floor(value / 0x1_0000_0000), true);
}

function regionLabel(index: number): string {
  return index === PCI_REGION.CONFIG ? "config" : `region ${index}`;
}
