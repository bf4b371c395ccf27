// A vfio-user client over a UNIX socket: the side QEMU plays, without DMA or interrupts.
// Used by the tests, `mock-accel probe` and the benchmarks. This file is the API (negotiate,
// device and region info, region and config access, reset); vfio-user-connection.ts frames
// and matches messages, vfio-user-codec.ts encodes and decodes them. The region-read path
// builds its request in one reused buffer, so a BAR read allocates nothing it does not need.
import {
  decodeDeviceInfo,
  decodeRegionInfo,
  decodeVersionReply,
  encodeCommand,
  encodeDeviceInfoRequest,
  encodeRegionInfoRequest,
  encodeVersionPayload,
  regionReadData,
  writeCommandHeader,
  writeRegionAccess,
  type DeviceInfo,
  type RegionInfo,
  type VersionInfo,
} from "./vfio-user-codec.ts";
import { VfioUserConnection } from "./vfio-user-connection.ts";
import { CLIENT_VERSION, HEADER_BYTES, PCI_REGION, REGION_ACCESS_BYTES, VfioUserCommand } from "./vfio-user-protocol.ts";

export { VfioUserError, type DeviceInfo, type RegionInfo, type VersionInfo } from "./vfio-user-codec.ts";

export interface ConnectOptions {
  /** Limit for connecting, and for each request's reply. Default 5000 ms. */
  timeoutMs?: number;
  /** JSON capabilities sent with VERSION. Default: max_msg_fds 8, max_data_xfer_size 1 MiB. */
  capabilities?: Record<string, unknown>;
}

/** Header and access header of a region access: where a write's data starts. */
const ACCESS_BYTES = HEADER_BYTES + REGION_ACCESS_BYTES;

export class VfioUserClient {
  /** Requests are built here (a region read, small writes) and copied only if they queue. */
  private readonly request = new Uint8Array(ACCESS_BYTES + 64);
  private readonly requestView = new DataView(this.request.buffer);
  /** Largest data transfer the server accepts in one message (from VERSION). */
  maxDataXferBytes = 1 << 20;
  version: VersionInfo | null = null;

  private constructor(private readonly connection: VfioUserConnection) {}

  get socketPath(): string {
    return this.connection.socketPath;
  }

  /** Connect to a vfio-user server and negotiate the protocol version. */
  static async connect(socketPath: string, options: ConnectOptions = {}): Promise<VfioUserClient> {
    const client = new VfioUserClient(await VfioUserConnection.open(socketPath, options.timeoutMs ?? 5000));
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
    const version = decodeVersionReply(await this.call(VfioUserCommand.VERSION, payload));
    if (version.major !== CLIENT_VERSION.major) {
      throw new Error(`vfio-user server speaks version ${version.major}.${version.minor}, this client ${CLIENT_VERSION.major}.${CLIENT_VERSION.minor}`);
    }
    const xfer = version.capabilities.max_data_xfer_size;
    if (typeof xfer === "number" && xfer > 0) this.maxDataXferBytes = xfer;
    this.version = version;
  }

  async deviceInfo(): Promise<DeviceInfo> {
    return decodeDeviceInfo(await this.call(VfioUserCommand.DEVICE_GET_INFO, encodeDeviceInfoRequest()));
  }

  async regionInfo(index: number): Promise<RegionInfo> {
    return decodeRegionInfo(await this.call(VfioUserCommand.DEVICE_GET_REGION_INFO, encodeRegionInfoRequest(index)));
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
    writeCommandHeader(this.requestView, VfioUserCommand.REGION_READ, ACCESS_BYTES);
    writeRegionAccess(this.requestView, HEADER_BYTES, index, offset, count);
    const reply = await this.connection.send(this.request.subarray(0, ACCESS_BYTES));
    return regionReadData(reply, index, offset, count);
  }

  /** Write `data` to a region at `offset`. */
  async regionWrite(index: number, offset: number, data: Uint8Array): Promise<void> {
    for (let done = 0; done < data.length || (done === 0 && data.length === 0); ) {
      const n = Math.min(this.maxDataXferBytes, data.length - done);
      const total = ACCESS_BYTES + n;
      const reuse = total <= this.request.length;
      const msg = reuse ? this.request.subarray(0, total) : new Uint8Array(total);
      const v = reuse ? this.requestView : new DataView(msg.buffer, msg.byteOffset);
      writeCommandHeader(v, VfioUserCommand.REGION_WRITE, total);
      writeRegionAccess(v, HEADER_BYTES, index, offset + done, n);
      msg.set(data.subarray(done, done + n), ACCESS_BYTES);
      await this.connection.send(msg);
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
    this.connection.close(new Error(`vfio-user client for ${this.socketPath} was closed`));
  }

  get closed(): boolean {
    return this.connection.closed;
  }

  /** Send any command with a raw payload and get the reply payload (tests: malformed input). */
  async call(command: number, payload: Uint8Array): Promise<Uint8Array> {
    return this.connection.send(encodeCommand(command, payload));
  }
}
