// Reads a PCI config space image back into named facts: IDs, class, header, BAR0 type, the
// capability lists, PCI Express link and the SR-IOV capability. `probe` runs it on the bytes
// a vfio-user client read; tests run it on a MockDevice's image.
import { PCIE_CAP, PCI_CFG, SRIOV_CAP } from "./config-space.ts";

export interface DecodedCapability {
  offset: number;
  id: number;
  name: string;
  /** Extended capabilities only. */
  version?: number;
}

export interface DecodedSriov {
  offset: number;
  initialVfs: number;
  totalVfs: number;
  numVfs: number;
  firstVfOffset: number;
  vfStride: number;
  vfDeviceId: number;
  control: number;
  supportedPageSizes: number;
  systemPageSize: number;
}

export interface DecodedConfigSpace {
  vendorId: number;
  deviceId: number;
  command: number;
  status: number;
  revisionId: number;
  classCode: number;
  headerType: number;
  multifunction: boolean;
  subsystemVendorId: number;
  subsystemId: number;
  bar0: { raw: number; space: "memory" | "io"; bits: 32 | 64; prefetchable: boolean };
  capabilities: DecodedCapability[];
  extendedCapabilities: DecodedCapability[];
  express: { version: number; deviceType: string; maxLinkSpeed: number; maxLinkWidth: number } | null;
  sriov: DecodedSriov | null;
}

const CAP_NAMES: Record<number, string> = { 0x01: "Power Management", 0x05: "MSI", 0x09: "Vendor Specific", 0x10: "PCI Express", 0x11: "MSI-X" };
const EXT_CAP_NAMES: Record<number, string> = { 0x0001: "AER", 0x0003: "Device Serial Number", 0x000e: "ARI", 0x0010: "SR-IOV" };
const EXPRESS_TYPES: Record<number, string> = {
  0: "endpoint", 1: "legacy endpoint", 4: "root port", 5: "upstream switch port", 6: "downstream switch port",
  7: "PCIe-to-PCI bridge", 8: "PCI-to-PCIe bridge", 9: "root complex integrated endpoint", 10: "root complex event collector",
};

export function decodeConfigSpace(bytes: Uint8Array): DecodedConfigSpace {
  if (bytes.length < 64) throw new Error(`config space image too short: ${bytes.length} bytes`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u8 = (o: number) => v.getUint8(o);
  const u16 = (o: number) => v.getUint16(o, true);
  const u32 = (o: number) => v.getUint32(o, true);
  const C = PCI_CFG;
  const bar = u32(C.BAR0);
  const headerType = u8(C.HEADER_TYPE);

  const capabilities: DecodedCapability[] = [];
  if (u16(C.STATUS) & C.STATUS_CAP_LIST) {
    const seen = new Set<number>();
    for (let at = u8(C.CAPABILITIES_POINTER) & 0xfc; at >= 0x40 && at + 2 <= Math.min(bytes.length, 256) && !seen.has(at); at = u8(at + 1) & 0xfc) {
      seen.add(at);
      const id = u8(at);
      capabilities.push({ offset: at, id, name: CAP_NAMES[id] ?? `capability 0x${id.toString(16)}` });
    }
  }
  const extendedCapabilities: DecodedCapability[] = [];
  if (bytes.length >= 4096) {
    const seen = new Set<number>();
    for (let at: number = C.EXTENDED_START; at >= C.EXTENDED_START && at + 4 <= bytes.length && !seen.has(at); ) {
      seen.add(at);
      const header = u32(at);
      if (header === 0 || header === 0xffff_ffff) break;
      const id = header & 0xffff;
      extendedCapabilities.push({ offset: at, id, version: (header >>> 16) & 0xf, name: EXT_CAP_NAMES[id] ?? `extended capability 0x${id.toString(16)}` });
      at = (header >>> 20) & 0xffc;
      if (at === 0) break;
    }
  }
  const exp = capabilities.find((c) => c.id === C.CAP_ID_EXP);
  const express = exp
    ? {
        version: u16(exp.offset + PCIE_CAP.FLAGS) & 0xf,
        deviceType: EXPRESS_TYPES[(u16(exp.offset + PCIE_CAP.FLAGS) >> 4) & 0xf] ?? "unknown",
        maxLinkSpeed: u32(exp.offset + PCIE_CAP.LNKCAP) & 0xf,
        maxLinkWidth: (u32(exp.offset + PCIE_CAP.LNKCAP) >> 4) & 0x3f,
      }
    : null;
  const sr = extendedCapabilities.find((c) => c.id === C.EXT_CAP_ID_SRIOV);
  const S = SRIOV_CAP;
  const sriov = sr
    ? {
        offset: sr.offset,
        initialVfs: u16(sr.offset + S.INITIAL_VFS),
        totalVfs: u16(sr.offset + S.TOTAL_VFS),
        numVfs: u16(sr.offset + S.NUM_VFS),
        firstVfOffset: u16(sr.offset + S.FIRST_VF_OFFSET),
        vfStride: u16(sr.offset + S.VF_STRIDE),
        vfDeviceId: u16(sr.offset + S.VF_DEVICE_ID),
        control: u16(sr.offset + S.CONTROL),
        supportedPageSizes: u32(sr.offset + S.SUPPORTED_PAGE_SIZES),
        systemPageSize: u32(sr.offset + S.SYSTEM_PAGE_SIZE),
      }
    : null;
  return {
    vendorId: u16(C.VENDOR_ID),
    deviceId: u16(C.DEVICE_ID),
    command: u16(C.COMMAND),
    status: u16(C.STATUS),
    revisionId: u8(C.REVISION_ID),
    classCode: u32(C.REVISION_ID) >>> 8,
    headerType: headerType & 0x7f,
    multifunction: (headerType & C.HEADER_TYPE_MULTIFUNCTION) !== 0,
    subsystemVendorId: u16(C.SUBSYSTEM_VENDOR_ID),
    subsystemId: u16(C.SUBSYSTEM_ID),
    bar0: { raw: bar, space: bar & 1 ? "io" : "memory", bits: (bar & 1) === 0 && ((bar >> 1) & 3) === 2 ? 64 : 32, prefetchable: (bar & 1) === 0 && (bar & 8) !== 0 },
    capabilities,
    extendedCapabilities,
    express,
    sriov,
  };
}
