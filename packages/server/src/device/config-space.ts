// PCI configuration space of one function: a 4 KiB image (type 0 header, a PCI Express
// endpoint capability, and on a PF the SR-IOV extended capability) plus a per-byte mask of
// the bits software may write. Everything the guest may not change is read-only by mask, so
// BAR sizing falls out of it: writing 0xffffffff to BAR0 reads back ~(size - 1) | type bits.
import { BAR0_SIZE_BYTES, PCI } from "../generated/registers.ts";
import { PCI_CFG, PCIE_CAP, SRIOV_CAP } from "./pci-constants.ts";

export { PCI_CFG, PCIE_CAP, SRIOV_CAP } from "./pci-constants.ts";

const CONFIG_SPACE_BYTES = 4096;
/** Page sizes a PF offers its VFs: 4K, 8K, 64K, 256K, 1M, 4M (the common hardware value). */
const SUPPORTED_PAGE_SIZES = 0x553;

export interface PciConfigSpaceOptions {
  kind: "pf" | "vf";
  /** SR-IOV TotalVFs (and InitialVFs) of a PF; ignored for a VF. */
  totalVfs: number;
  /** Sets the header type's multifunction bit (a PF whose VFs sit at functions 1..N of its slot). */
  multifunction?: boolean;
}

/**
 * Initial image and write mask per set of options. Both depend only on the options, and a
 * process serving hundreds of devices would otherwise hold two identical 4 KiB copies of them
 * per device (issue 20).
 */
const templates = new Map<string, { readonly initial: Uint8Array; readonly writeMask: Uint8Array }>();

export class PciConfigSpace {
  static readonly SIZE_BYTES = CONFIG_SPACE_BYTES;
  /** The live image, as a read returns it. libvfio-user may be handed these bytes directly. */
  readonly bytes = new Uint8Array(CONFIG_SPACE_BYTES);
  /** Shared by every space built with the same options (`templates`); never written after the build. */
  private readonly writeMask: Uint8Array;
  /** Shared the same way until setMultifunction gives this space its own copy. */
  private initial: Uint8Array;
  private initialShared: boolean;
  private readonly view = new DataView(this.bytes.buffer);

  constructor(readonly options: PciConfigSpaceOptions) {
    const { kind } = options;
    if (kind === "pf" && !(Number.isInteger(options.totalVfs) && options.totalVfs >= 0 && options.totalVfs <= PCI.sriov.maxTotalVfs)) {
      throw new Error(`SR-IOV TotalVFs must be 0..${PCI.sriov.maxTotalVfs}, got ${options.totalVfs}`);
    }
    if (BAR0_SIZE_BYTES < 16 || (BAR0_SIZE_BYTES & (BAR0_SIZE_BYTES - 1)) !== 0) {
      throw new Error(`BAR0 size ${BAR0_SIZE_BYTES} is not a power of two >= 16`);
    }
    const multifunction = options.multifunction ?? false;
    const key = `${kind}/${multifunction}/${kind === "pf" ? options.totalVfs : 0}`;
    const template = templates.get(key);
    if (template) {
      this.bytes.set(template.initial);
      this.writeMask = template.writeMask;
      this.initial = template.initial;
    } else {
      this.writeMask = new Uint8Array(CONFIG_SPACE_BYTES);
      this.buildHeader(kind, multifunction);
      this.buildExpressCapability();
      if (kind === "pf") this.buildSriovCapability(options.totalVfs);
      this.initial = this.bytes.slice();
      templates.set(key, { initial: this.initial, writeMask: this.writeMask });
    }
    this.initialShared = true;
  }

  private put(offset: number, size: 1 | 2 | 4, value: number, writable = 0): void {
    for (let i = 0; i < size; i++) {
      this.bytes[offset + i] = (value >>> (8 * i)) & 0xff;
      this.writeMask[offset + i] = (writable >>> (8 * i)) & 0xff;
    }
  }

  private buildHeader(kind: "pf" | "vf", multifunction: boolean): void {
    const C = PCI_CFG;
    this.put(C.VENDOR_ID, 2, PCI.vendorId);
    this.put(C.DEVICE_ID, 2, kind === "pf" ? PCI.pfDeviceId : PCI.vfDeviceId);
    // Memory space, bus master, parity error response, SERR#, INTx disable. No I/O BARs.
    this.put(C.COMMAND, 2, 0, 0x0546);
    this.put(C.STATUS, 2, C.STATUS_CAP_LIST);
    this.put(C.REVISION_ID, 1, PCI.revisionId);
    this.put(C.CLASS_PROG, 1, PCI.classCode & 0xff);
    this.put(C.CLASS_PROG + 1, 2, PCI.classCode >>> 8);
    this.put(C.CACHE_LINE_SIZE, 1, 0, 0xff);
    this.put(C.HEADER_TYPE, 1, multifunction ? C.HEADER_TYPE_MULTIFUNCTION : 0);
    // BAR0: 32-bit, non-prefetchable memory (type bits 0). Only the address bits above the
    // size are writable; BAR1..5 are unimplemented and read 0.
    this.put(C.BAR0, 4, 0, barAddressMask(BAR0_SIZE_BYTES));
    this.put(C.SUBSYSTEM_VENDOR_ID, 2, PCI.subsystemVendorId);
    this.put(C.SUBSYSTEM_ID, 2, PCI.subsystemId);
    this.put(C.CAPABILITIES_POINTER, 1, PCIE_CAP.OFFSET);
    this.put(C.INTERRUPT_LINE, 1, 0, 0xff);
    this.put(C.INTERRUPT_PIN, 1, 0);
  }

  private buildExpressCapability(): void {
    const base = PCIE_CAP.OFFSET;
    this.put(base, 1, PCI_CFG.CAP_ID_EXP);
    this.put(base + 1, 1, 0); // last capability
    this.put(base + PCIE_CAP.FLAGS, 2, 0x0002); // version 2, device/port type 0: endpoint
    this.put(base + PCIE_CAP.DEVCAP, 4, 1 << 15); // 128-byte payload, role-based error reporting
    this.put(base + PCIE_CAP.DEVCTL, 2, 0x2000, 0x78ff); // max read request 512
    this.put(base + PCIE_CAP.LNKCAP, 4, 0x0000_0011); // 2.5 GT/s, x1
    this.put(base + PCIE_CAP.LNKCTL, 2, 0, 0x00cb);
    this.put(base + PCIE_CAP.LNKSTA, 2, 0x0011); // running 2.5 GT/s, x1
    this.put(base + PCIE_CAP.LNKCAP2, 4, 0x0000_0002); // supported speeds: 2.5 GT/s
    this.put(base + PCIE_CAP.LNKCTL2, 2, 0x0001, 0x000f);
  }

  private buildSriovCapability(totalVfs: number): void {
    const base = PCI.sriov.capabilityOffset;
    const S = SRIOV_CAP;
    // Header: ID, version 1, next capability 0 (last).
    this.put(base, 4, PCI_CFG.EXT_CAP_ID_SRIOV | (1 << 16));
    this.put(base + S.CAPABILITIES, 4, 0);
    // VF Enable, VF MSE, ARI Capable Hierarchy.
    this.put(base + S.CONTROL, 2, 0, 0x0019);
    this.put(base + S.INITIAL_VFS, 2, totalVfs);
    this.put(base + S.TOTAL_VFS, 2, totalVfs);
    this.put(base + S.NUM_VFS, 2, 0, 0xffff);
    this.put(base + S.FUNCTION_LINK, 1, 0);
    this.put(base + S.FIRST_VF_OFFSET, 2, PCI.sriov.firstVfOffset);
    this.put(base + S.VF_STRIDE, 2, PCI.sriov.vfStride);
    this.put(base + S.VF_DEVICE_ID, 2, PCI.vfDeviceId);
    this.put(base + S.SUPPORTED_PAGE_SIZES, 4, SUPPORTED_PAGE_SIZES);
    this.put(base + S.SYSTEM_PAGE_SIZE, 4, 0x1, SUPPORTED_PAGE_SIZES);
    // Each VF's BAR0 is the same 4 KiB 32-bit memory BAR as the PF's.
    this.put(base + S.VF_BAR0, 4, 0, barAddressMask(BAR0_SIZE_BYTES));
  }

  /** Read 1, 2 or 4 bytes, little-endian, as an unsigned number. */
  read(offset: number, size: number): number {
    this.check(offset, size);
    switch (size) {
      case 1: return this.bytes[offset]!;
      case 2: return this.view.getUint16(offset, true);
      default: return this.view.getUint32(offset, true);
    }
  }

  /** Write 1, 2 or 4 bytes, little-endian; bits software may not change keep their value. */
  write(offset: number, size: number, value: number): void {
    this.check(offset, size);
    for (let i = 0; i < size; i++) this.writeByte(offset + i, (value >>> (8 * i)) & 0xff);
  }

  /** Copy out.length bytes at offset into out (any length; for byte-buffer transports). */
  readInto(offset: number, out: Uint8Array): void {
    this.checkRange(offset, out.length);
    out.set(this.bytes.subarray(offset, offset + out.length));
  }

  /** Write data at offset through the write mask (any length). */
  writeFrom(offset: number, data: Uint8Array): void {
    this.checkRange(offset, data.length);
    for (let i = 0; i < data.length; i++) this.writeByte(offset + i, data[i]!);
  }

  private writeByte(at: number, value: number): void {
    const mask = this.writeMask[at]!;
    if (mask !== 0) this.bytes[at] = (this.bytes[at]! & ~mask) | (value & mask);
  }

  /** Set or clear the multifunction bit of the header type. */
  setMultifunction(on: boolean): void {
    const at = PCI_CFG.HEADER_TYPE;
    this.bytes[at] = on ? this.bytes[at]! | PCI_CFG.HEADER_TYPE_MULTIFUNCTION : this.bytes[at]! & ~PCI_CFG.HEADER_TYPE_MULTIFUNCTION;
    if (this.initialShared) {
      this.initial = this.initial.slice();
      this.initialShared = false;
    }
    this.initial[at] = this.bytes[at]!;
  }

  /** Function-level reset: every writable bit back to its initial value (BARs unassigned). */
  reset(): void {
    this.bytes.set(this.initial);
  }

  private check(offset: number, size: number): void {
    if (size !== 1 && size !== 2 && size !== 4) throw new RangeError(`config space access size must be 1, 2 or 4, got ${size}`);
    this.checkRange(offset, size);
  }

  private checkRange(offset: number, length: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset + length > CONFIG_SPACE_BYTES) {
      throw new RangeError(`config space access of ${length} bytes at 0x${offset.toString(16)} is outside 0..0x${(CONFIG_SPACE_BYTES - 1).toString(16)}`);
    }
  }
}

/** Writable address bits of a 32-bit memory BAR of `sizeBytes`: sizing reads back ~(size - 1). */
function barAddressMask(sizeBytes: number): number {
  return ~(sizeBytes - 1) >>> 0;
}
