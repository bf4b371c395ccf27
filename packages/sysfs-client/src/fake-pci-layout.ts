// The PCI side of a fake sysfs tree, without touching files: where each PF and VF sits in the
// guest's PCI hierarchy (the same placement `mock-accel qemu-args` wires), the IDs and uevent
// text the kernel gives each function, and the checks on a PCI path a test gives explicitly.
// fake-tree-files.ts writes what this decides; fake-sysfs.ts is the kernel acting on it.
import { PCI_IDS, SRIOV } from "./generated/attributes.ts";
import type { DeviceKind } from "./attribute-io.ts";
import { guestPfPciPath, type GuestTransport } from "./guest-pci-buses.ts";
import { formatPciAddress, parsePciAddress } from "./pci-address.ts";

export type FakeTransport = GuestTransport;

export const MAX_TOTAL_VFS = SRIOV.maxTotalVfs;

/** PCI function of VF `i` when its PF is function 0 (the SR-IOV capability's offset and stride). */
export const vfFunction = (i: number): number => SRIOV.firstVfOffset + i * SRIOV.vfStride;

/** QEMU's pcie-root-port and pcie-pci-bridge, as the guest kernel shows them. */
const REDHAT_VENDOR = 0x1b36;
const ROOT_PORT_DEVICE = 0x000c;
const PCI_BRIDGE_DEVICE = 0x000e;
const BRIDGE_CLASS = 0x060400;

const hex = (v: number, width: number) => `0x${v.toString(16).padStart(width, "0")}`;

/** The IDs a PCI function's sysfs directory shows (vendor, device, class, ...). */
export interface PciIdentity {
  address: string;
  vendor: number;
  device: number;
  classCode: number;
  revision: number;
  subsystemVendor: number;
  subsystemDevice: number;
  numaNode: number;
}

/** A mock-accel PF or VF: the spec's PCI IDs. */
export function mockIdentity(address: string, kind: DeviceKind, numaNode: number): PciIdentity {
  return {
    address,
    vendor: PCI_IDS.vendorId,
    device: kind === "pf" ? PCI_IDS.pfDeviceId : PCI_IDS.vfDeviceId,
    classCode: PCI_IDS.classCode,
    revision: PCI_IDS.revisionId,
    subsystemVendor: PCI_IDS.subsystemVendorId,
    subsystemDevice: PCI_IDS.subsystemId,
    numaNode,
  };
}

/** A root port (`depth` 1 below the root complex) or a bridge below it, with QEMU's IDs. */
export function bridgeIdentity(address: string, depth: number, numaNode: number): PciIdentity {
  return {
    address,
    vendor: REDHAT_VENDOR,
    device: depth === 1 ? ROOT_PORT_DEVICE : PCI_BRIDGE_DEVICE,
    classCode: BRIDGE_CLASS,
    revision: 0,
    subsystemVendor: 0,
    subsystemDevice: 0,
    numaNode,
  };
}

/** The identity files of a PCI function directory and their text. */
export function pciIdentityFiles(id: PciIdentity): [string, string][] {
  return [
    ["vendor", hex(id.vendor, 4)],
    ["device", hex(id.device, 4)],
    ["class", hex(id.classCode, 6)],
    ["subsystem_vendor", hex(id.subsystemVendor, 4)],
    ["subsystem_device", hex(id.subsystemDevice, 4)],
    ["revision", hex(id.revision, 2)],
    ["numa_node", String(id.numaNode)],
  ].map(([f, text]) => [f!, `${text}\n`]);
}

/** What drivers/pci/pci-driver.c pci_uevent() shows, after the driver core's DRIVER=. */
export function pciUevent(id: PciIdentity, driver: string | null): string {
  const X = (v: number, width: number) => v.toString(16).toUpperCase().padStart(width, "0");
  return [
    ...(driver ? [`DRIVER=${driver}`] : []),
    `PCI_CLASS=${X(id.classCode, 4)}`,
    `PCI_ID=${X(id.vendor, 4)}:${X(id.device, 4)}`,
    `PCI_SUBSYS_ID=${X(id.subsystemVendor, 4)}:${X(id.subsystemDevice, 4)}`,
    `PCI_SLOT_NAME=${id.address}`,
    `MODALIAS=pci:v${X(id.vendor, 8)}d${X(id.device, 8)}sv${X(id.subsystemVendor, 8)}sd${X(id.subsystemDevice, 8)}bc${X(id.classCode >> 16, 2)}sc${X((id.classCode >> 8) & 0xff, 2)}i${X(id.classCode & 0xff, 2)}`,
    "",
  ].join("\n");
}

/**
 * A PF's directories below `devices/` as a test gave them, e.g. "pci0000:10/0000:10:00.0/0000:11:00.0":
 * a root complex, then PCI addresses, ending at function 0. `where` names the field in errors.
 */
export function parseExplicitPciPath(pciPath: string, where: string): string[] {
  const segments = pciPath.split("/").filter((s) => s !== "");
  if (!/^pci[0-9a-f]{4}:[0-9a-f]{2}$/.test(segments[0] ?? "")) throw new Error(`${where}.pciPath: must start with the root complex, e.g. pci0000:10 (got ${JSON.stringify(pciPath)})`);
  const fns = segments.slice(1);
  if (fns.length === 0 || !fns.every((s) => parsePciAddress(s))) throw new Error(`${where}.pciPath: after the root complex every segment must be a PCI address like 0000:11:00.0 (got ${JSON.stringify(pciPath)})`);
  if (parsePciAddress(fns.at(-1)!)!.fn !== 0) throw new Error(`${where}.pciPath: the PF must be function 0 (VFs take functions ${vfFunction(0)}..${vfFunction(MAX_TOTAL_VFS - 1)} of its slot)`);
  return segments;
}

/** Hands out each NUMA node's next PF position, in the order PFs are added (the guest's probe order). */
export class GuestPfPlacement {
  private readonly pfsByNode = new Map<number, number>();

  constructor(private readonly transport: FakeTransport) {}

  /** The next PF's directories on `numaNode`. */
  next(numaNode: number, where: string): string[] {
    const k = this.pfsByNode.get(numaNode) ?? 0;
    this.pfsByNode.set(numaNode, k + 1);
    try {
      return guestPfPciPath(numaNode, k, this.transport);
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}; give pciPath explicitly`);
    }
  }
}

/** The address of function `fn` in the PF's slot (the PF's directory path ends at function 0). */
export function functionAddress(pfPath: readonly string[], fn: number): string {
  return formatPciAddress({ ...parsePciAddress(pfPath.at(-1)!)!, fn });
}
