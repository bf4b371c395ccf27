// The QEMU side of the proxy protocol, for tests, benchmarks and `probe`: sends what
// x-pci-proxy-dev sends and waits for each RET. Requests are answered in order, so a FIFO of
// waiters is enough.
import type { Socket } from "bun";
import { PCI_BAR, PCI_CFG } from "../../device/pci-constants.ts";
import { decodeReply, encodeMessage, REPLY_BYTES, type ProxyMessage } from "./wire.ts";

interface Waiter {
  resolve(value: bigint): void;
  reject(err: Error): void;
}

export class ProxyClient {
  private buffered = new Uint8Array(0);
  private readonly waiters: Waiter[] = [];
  private closedError: Error | null = null;
  private closedResolve!: () => void;
  /** Resolves when the device side closes the connection. */
  readonly closed: Promise<void> = new Promise((r) => (this.closedResolve = r));

  private constructor(private socket: Socket<undefined> | null) {}

  static async connect(socketPath: string): Promise<ProxyClient> {
    let client!: ProxyClient;
    const socket = await Bun.connect<undefined>({
      unix: socketPath,
      socket: {
        data: (_s, chunk) => client.onData(chunk),
        close: () => client.onClose(new Error("connection closed by the device")),
        error: (_s, err) => client.onClose(err),
      },
    });
    client = new ProxyClient(socket);
    return client;
  }

  /** Sends raw bytes (fuzzing); no reply is awaited. */
  sendRaw(bytes: Uint8Array): void {
    this.socket?.write(bytes);
  }

  /** Sends a message that wants a reply and resolves to the reply's value. */
  request(msg: ProxyMessage): Promise<bigint> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.socket!.write(encodeMessage(msg));
    });
  }

  configRead(addr: number, len: 1 | 2 | 4): Promise<number> {
    return this.request({ cmd: "PCI_CFGREAD", addr, len }).then(Number);
  }

  async configWrite(addr: number, len: 1 | 2 | 4, val: number): Promise<void> {
    await this.request({ cmd: "PCI_CFGWRITE", addr, len, val });
  }

  barRead(addr: bigint, size: 1 | 2 | 4 | 8): Promise<bigint> {
    return this.request({ cmd: "BAR_READ", addr, size, memory: true });
  }

  async barWrite(addr: bigint, size: 1 | 2 | 4 | 8, val: bigint): Promise<void> {
    await this.request({ cmd: "BAR_WRITE", addr, size, val, memory: true });
  }

  async reset(): Promise<void> {
    await this.request({ cmd: "DEVICE_RESET" });
  }

  /**
   * What QEMU does at realize: read the IDs, size every BAR (write all-ones, read back,
   * restore). Returns the IDs and BAR sizes in bytes (0 = absent).
   */
  async probe(): Promise<{ vendorId: number; deviceId: number; classCode: number; subsystemId: number; barSizes: number[] }> {
    const vendorId = await this.configRead(PCI_CFG.VENDOR_ID, 2);
    const deviceId = await this.configRead(PCI_CFG.DEVICE_ID, 2);
    // The dword at REVISION_ID: revision in the low byte, the 24-bit class code above it.
    const classCode = (await this.configRead(PCI_CFG.REVISION_ID, 4)) >>> 8;
    const subsystemId = await this.configRead(PCI_CFG.SUBSYSTEM_ID, 2);
    const barSizes: number[] = [];
    for (let i = 0; i < PCI_CFG.BAR_COUNT; i++) {
      const at = PCI_CFG.BAR0 + PCI_CFG.BAR_BYTES * i;
      const orig = await this.configRead(at, 4);
      await this.configWrite(at, 4, PCI_BAR.SIZING_PATTERN);
      const sized = await this.configRead(at, 4);
      await this.configWrite(at, 4, orig);
      barSizes.push((~(sized & PCI_BAR.MEM_ADDRESS_MASK) + 1) >>> 0);
    }
    return { vendorId, deviceId, classCode, subsystemId, barSizes };
  }

  close(): void {
    this.socket?.end();
    this.socket = null;
  }

  private onData(chunk: Uint8Array): void {
    const all = new Uint8Array(this.buffered.length + chunk.length);
    all.set(this.buffered, 0);
    all.set(chunk, this.buffered.length);
    let at = 0;
    while (all.length - at >= REPLY_BYTES) {
      const waiter = this.waiters.shift();
      const reply = all.subarray(at, at + REPLY_BYTES);
      at += REPLY_BYTES;
      if (!waiter) continue; // replies to raw sends nobody waits for
      try {
        waiter.resolve(decodeReply(reply));
      } catch (err) {
        waiter.reject(err as Error);
      }
    }
    this.buffered = all.slice(at);
  }

  private onClose(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    for (const w of this.waiters.splice(0)) w.reject(err);
    this.closedResolve();
  }
}
