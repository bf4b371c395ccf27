// One PCI function as the proxy protocol sees it: config space through ProxyConfigSpace,
// BAR accesses translated from guest-physical addresses to BAR0 offsets, reset. Answers one
// parsed message at a time; knows nothing about sockets.
import type { Logger } from "../../device/logger.ts";
import { ProxyConfigSpace, type ConfigImage } from "./config-space.ts";
import type { ProxyMessage } from "./wire.ts";

/** What the proxy needs from the device model (MockDevice provides it). */
export interface ProxyDeviceModel {
  bar0Read(offsetBytes: number, out: Uint8Array): void;
  bar0Write(offsetBytes: number, data: Uint8Array): void;
  reset(): void;
}

/** Value QEMU's proxy itself uses for a failed access (mpqemu_msg_send_and_await_reply). */
const ALL_ONES = 0xffff_ffff_ffff_ffffn;

export class ProxyFunction {
  readonly config: ProxyConfigSpace;
  private readonly scratch = new Uint8Array(8);
  private readonly scratchView = new DataView(this.scratch.buffer);

  constructor(
    private readonly device: ProxyDeviceModel,
    image: ConfigImage,
    bar0SizeBytes: number,
    /** Logs under the device's name (ProxyHost prefixes it). */
    private readonly log: Logger,
  ) {
    this.config = new ProxyConfigSpace(image, bar0SizeBytes);
  }

  /** Handles one message; returns the reply value, or null when QEMU expects no reply. */
  handle(msg: ProxyMessage): bigint | null {
    switch (msg.cmd) {
      case "SYNC_SYSMEM":
      case "SET_IRQFD":
        // The device does no DMA and raises no interrupts; the fds that came along were
        // already released by the kernel (see proxy-host.ts).
        return null;
      case "DEVICE_RESET":
        this.device.reset();
        this.config.reset();
        this.log.info(`reset`);
        return 0n;
      case "PCI_CFGREAD":
        if (!ProxyConfigSpace.inRange(msg.addr, msg.len)) {
          this.log.warn(`bad config read of ${msg.len} bytes at 0x${msg.addr.toString(16)}`);
          return ALL_ONES;
        }
        return BigInt(this.config.read(msg.addr, msg.len));
      case "PCI_CFGWRITE":
        if (!ProxyConfigSpace.inRange(msg.addr, msg.len)) {
          this.log.warn(`bad config write of ${msg.len} bytes at 0x${msg.addr.toString(16)}`);
          return ALL_ONES;
        }
        this.config.write(msg.addr, msg.len, msg.val);
        return 0n;
      case "BAR_READ": {
        const offset = this.bar0Offset(msg.addr, msg.size, msg.memory, "read");
        if (offset === null) return 0n;
        this.scratch.fill(0);
        this.device.bar0Read(offset, this.scratch.subarray(0, msg.size));
        return this.scratchView.getBigUint64(0, true);
      }
      case "BAR_WRITE": {
        const offset = this.bar0Offset(msg.addr, msg.size, msg.memory, "write");
        if (offset === null) return 0n;
        this.scratchView.setBigUint64(0, msg.val, true);
        this.device.bar0Write(offset, this.scratch.slice(0, msg.size));
        return 0n;
      }
    }
  }

  /** BAR0 offset of an access, or null (logged) when it does not fall inside BAR0. */
  private bar0Offset(addr: bigint, size: number, memory: boolean, what: "read" | "write"): number | null {
    const base = this.config.bar0Base;
    const end = base + BigInt(this.config.bar0SizeBytes);
    if (!memory || addr < base || addr + BigInt(size) > end) {
      this.log.warn(
        `bad BAR0 ${what} of ${size} bytes at ${memory ? "memory" : "I/O"} 0x${addr.toString(16)} (BAR0 is 0x${base.toString(16)}..0x${end.toString(16)})`,
      );
      return null;
    }
    return Number(addr - base);
  }
}
