// The guest's PCI bus numbering for a mock-accel topology: one rule for the QEMU wiring
// (`mock-accel qemu-args`, packages/topology), the fake sysfs trees, the guest tests and the
// bench. Each NUMA node gets a pxb-pcie expander whose root bus is 0x10 * (node + 1); behind it
// one pcie-root-port per PF, in order, at slots 0, 1, ...; the guest kernel numbers the buses
// below the root ports depth-first from the expander's bus up. vfio-user-pci is a PCIe device
// at slot 0 of its root port's bus (one bus per PF); x-pci-proxy-dev is conventional PCI, so a
// pcie-pci-bridge sits on the root port's bus and the device at slot 1 below it (two buses per
// PF). Checked against real guests by the kernel driver's guest test.
import { formatPciAddress, rootComplexName } from "./pci-address.ts";

export type GuestTransport = "vfio-user" | "proxy";

/** Buses an expander owns: its own and the 15 above it; the next node's expander starts after. */
export const EXPANDER_BUS_SPAN = 0x10;
/** No NUMA: root ports on the main root complex, after q35's host bridge (slot 0) and a spare. */
const NO_NUMA_FIRST_SLOT = 2;
const MAX_BUS = 0xff;
const MAX_SLOT = 0x1f;

/** pxb-pcie `bus_nr` of a NUMA node: 0x10 for node 0, 0x20 for node 1, ...; -1 (no NUMA) is bus 0. */
export function expanderBusNumber(numaNode: number): number {
  return numaNode < 0 ? 0 : EXPANDER_BUS_SPAN * (numaNode + 1);
}

/** Buses one PF takes below its root port. */
export function busesPerPf(transport: GuestTransport): number {
  return transport === "proxy" ? 2 : 1;
}

/** PFs one NUMA node's expander has buses for. */
export function maxPfsPerNumaNode(transport: GuestTransport): number {
  return Math.floor((EXPANDER_BUS_SPAN - 1) / busesPerPf(transport));
}

/** Where the guest puts a PF: its root port, the bridge (proxy only) and the device itself. */
export interface GuestPfBuses {
  /** The expander's bus (0 without NUMA), holding the root port. */
  rootBus: number;
  rootSlot: number;
  /** The bus of the pcie-pci-bridge at slot 0 (proxy), or null (vfio-user). */
  bridgeBus: number | null;
  deviceBus: number;
  deviceSlot: number;
}

/**
 * The buses of the `pfIndex`-th PF (0-based, in topology order) on `numaNode` (-1: no NUMA).
 * Throws, saying which limit, when the expander's or the machine's buses run out.
 */
export function guestPfBuses(numaNode: number, pfIndex: number, transport: GuestTransport): GuestPfBuses {
  const rootBus = expanderBusNumber(numaNode);
  const rootSlot = numaNode < 0 ? pfIndex + NO_NUMA_FIRST_SLOT : pfIndex;
  const perPf = busesPerPf(transport);
  const secondary = rootBus + 1 + pfIndex * perPf;
  const deviceBus = secondary + perPf - 1;
  if (numaNode >= 0 && deviceBus >= rootBus + EXPANDER_BUS_SPAN) {
    const hex = (v: number) => `0x${v.toString(16).padStart(2, "0")}`;
    throw new Error(`too many PFs on NUMA node ${numaNode} for the guest's bus numbering (pxb-pcie bus_nr ${hex(rootBus)}..${hex(rootBus + EXPANDER_BUS_SPAN - 1)})`);
  }
  if (deviceBus > MAX_BUS || rootSlot > MAX_SLOT) throw new Error("PCI bus numbers exhausted");
  return transport === "proxy"
    ? { rootBus, rootSlot, bridgeBus: secondary, deviceBus, deviceSlot: 1 }
    : { rootBus, rootSlot, bridgeBus: null, deviceBus, deviceSlot: 0 };
}

/** The PF's directories below `/sys/devices`: root complex, root port, [bridge,] the PF (function 0). */
export function guestPfPciPath(numaNode: number, pfIndex: number, transport: GuestTransport): string[] {
  const b = guestPfBuses(numaNode, pfIndex, transport);
  const path = [rootComplexName(0, b.rootBus), formatPciAddress({ domain: 0, bus: b.rootBus, slot: b.rootSlot, fn: 0 })];
  if (b.bridgeBus !== null) path.push(formatPciAddress({ domain: 0, bus: b.bridgeBus, slot: 0, fn: 0 }));
  path.push(formatPciAddress({ domain: 0, bus: b.deviceBus, slot: b.deviceSlot, fn: 0 }));
  return path;
}

/** The guest's address of function `fn` (0: the PF, 1..: its VFs) of that PF, e.g. `0000:11:00.0`. */
export function guestFunctionAddress(numaNode: number, pfIndex: number, transport: GuestTransport, fn = 0): string {
  const b = guestPfBuses(numaNode, pfIndex, transport);
  return formatPciAddress({ domain: 0, bus: b.deviceBus, slot: b.deviceSlot, fn });
}
