// The 256-byte config space an `x-pci-proxy-dev` shows the guest, in front of a device's own
// config image. QEMU forwards every config read and write here and keeps no answer of its
// own, so this view must behave like real PCI hardware:
//   - BAR0 is a 32-bit non-prefetchable memory BAR of BAR0_SIZE bytes: writing 0xffffffff
//     reads back ~(size - 1) (QEMU sizes BARs that way at realize), and the base the guest
//     programs is what BAR accesses are relative to. BARs 1..5 and the ROM BAR read 0
//     (absent).
//   - COMMAND and INTERRUPT_LINE are writable; everything else reads from the device image.
//   - No capability list: x-pci-proxy-dev is a conventional PCI device, so the PCIe and
//     SR-IOV capabilities of the image would lie about the function (and Linux would try to
//     program PCIe registers nobody emulates here).
import { PCI_BAR, PCI_CFG, PCI_COMMAND } from "../../device/pci-constants.ts";
import { PROXY_CONFIG_SPACE_BYTES } from "./wire.ts";

/** Where the view reads everything it does not emulate: the device's config image. */
export interface ConfigImage {
  /** Little-endian read of 1, 2 or 4 bytes at `offsetBytes` (< 256). */
  read(offsetBytes: number, sizeBytes: 1 | 2 | 4): number;
}

const { COMMAND, STATUS, STATUS_CAP_LIST, BAR0, ROM_ADDRESS, INTERRUPT_LINE, INTERRUPT_PIN } = PCI_CFG;
const CAP_PTR = PCI_CFG.CAPABILITIES_POINTER;
/** The end of the six BAR registers. */
const BARS_END = BAR0 + PCI_CFG.BAR_COUNT * PCI_CFG.BAR_BYTES;
/** Memory space, bus master, SERR, INTx disable: the bits a guest sets on this device. */
const COMMAND_WRITABLE = PCI_COMMAND.MEMORY | PCI_COMMAND.MASTER | PCI_COMMAND.SERR | PCI_COMMAND.INTX_DISABLE;

export class ProxyConfigSpace {
  private command = 0;
  private interruptLine = 0;
  /** BAR0 register as last written (the size bits masked off). */
  private bar0 = 0;

  constructor(
    private readonly image: ConfigImage,
    readonly bar0SizeBytes: number,
  ) {
    if (bar0SizeBytes < 16 || (bar0SizeBytes & (bar0SizeBytes - 1)) !== 0) throw new Error(`BAR0 size ${bar0SizeBytes} is not a power of two >= 16`);
  }

  /** Guest-physical address BAR0 is programmed at (0 until the guest or firmware sets it). */
  get bar0Base(): bigint {
    return BigInt(this.bar0 >>> 0);
  }

  /** Whether the guest enabled memory decoding (COMMAND bit 1). */
  get memoryEnabled(): boolean {
    return (this.command & PCI_COMMAND.MEMORY) !== 0;
  }

  /** Back to power-on state, as a reset of the function does (QEMU resets its copy too). */
  reset(): void {
    this.command = 0;
    this.interruptLine = 0;
    this.bar0 = 0;
  }

  /** True when `offsetBytes`/`lengthBytes` lies inside the 256 bytes and does not straddle a dword. */
  static inRange(offsetBytes: number, lengthBytes: number): boolean {
    return offsetBytes + lengthBytes <= PROXY_CONFIG_SPACE_BYTES && (offsetBytes & 3) + lengthBytes <= 4;
  }

  read(offsetBytes: number, lengthBytes: 1 | 2 | 4): number {
    let value = 0;
    for (let i = 0; i < lengthBytes; i++) value |= this.byte(offsetBytes + i) << (8 * i);
    return value >>> 0;
  }

  write(offsetBytes: number, lengthBytes: 1 | 2 | 4, value: number): void {
    for (let i = 0; i < lengthBytes; i++) this.writeByte(offsetBytes + i, (value >>> (8 * i)) & 0xff);
  }

  private byte(at: number): number {
    const dword = at & ~3;
    const shift = 8 * (at & 3);
    if (dword === BAR0) return (this.bar0 >>> shift) & 0xff;
    if ((dword > BAR0 && dword < BARS_END) || dword === ROM_ADDRESS) return 0;
    if (at === COMMAND || at === COMMAND + 1) return (this.command >>> (8 * (at - COMMAND))) & 0xff;
    if (at === STATUS) return this.image.read(STATUS, 1) & ~STATUS_CAP_LIST;
    if (at === CAP_PTR) return 0;
    if (at >= PCI_CFG.STD_HEADER_BYTES) return 0; // capability bodies: hidden with the list
    if (at === INTERRUPT_LINE) return this.interruptLine;
    if (at === INTERRUPT_PIN) return 0; // no interrupts
    return this.image.read(at, 1) & 0xff;
  }

  private writeByte(at: number, value: number): void {
    const dword = at & ~3;
    if (dword === BAR0) {
      const shift = 8 * (at & 3);
      const merged = ((this.bar0 & ~(0xff << shift)) | (value << shift)) >>> 0;
      // Address bits below the BAR's size are hard-wired to 0, type bits to 0 (32-bit memory).
      this.bar0 = (merged & ~(this.bar0SizeBytes - 1)) >>> 0;
    } else if (at === COMMAND || at === COMMAND + 1) {
      const shift = 8 * (at - COMMAND);
      const merged = (this.command & ~(0xff << shift)) | (value << shift);
      this.command = merged & COMMAND_WRITABLE;
    } else if (at === INTERRUPT_LINE) {
      this.interruptLine = value;
    }
    // Everything else is read-only on this function: writes are dropped, as hardware does.
  }
}
