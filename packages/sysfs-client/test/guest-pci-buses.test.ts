// The guest bus numbering rule, stated once with the numbers a guest shows (the kernel driver's
// guest test checks the same function against a booted guest; the fake trees and the QEMU
// wiring call it).
import { describe, expect, it } from "vitest";
import { expanderBusNumber, guestFunctionAddress, guestPfBuses, guestPfPciPath, maxPfsPerNumaNode } from "../src/guest-pci-buses.ts";

describe("guest PCI bus numbering", () => {
  it("one pxb-pcie per NUMA node at bus 0x10 * (node + 1); no NUMA is the main root bus", () => {
    expect([0, 1, 7].map(expanderBusNumber)).toEqual([0x10, 0x20, 0x80]);
    expect(expanderBusNumber(-1)).toBe(0);
  });

  it("vfio-user: one bus per PF, the device at slot 0 behind its root port", () => {
    expect(guestPfPciPath(0, 0, "vfio-user")).toEqual(["pci0000:10", "0000:10:00.0", "0000:11:00.0"]);
    expect(guestPfPciPath(0, 1, "vfio-user")).toEqual(["pci0000:10", "0000:10:01.0", "0000:12:00.0"]);
    expect(guestPfPciPath(1, 0, "vfio-user")).toEqual(["pci0000:20", "0000:20:00.0", "0000:21:00.0"]);
    expect(guestFunctionAddress(0, 0, "vfio-user", 2)).toBe("0000:11:00.2");
  });

  it("proxy: a pcie-pci-bridge per PF (two buses), the device at slot 1 below it", () => {
    expect(guestPfBuses(0, 1, "proxy")).toEqual({ rootBus: 0x10, rootSlot: 1, bridgeBus: 0x13, deviceBus: 0x14, deviceSlot: 1 });
    expect(guestPfPciPath(0, 0, "proxy")).toEqual(["pci0000:10", "0000:10:00.0", "0000:11:00.0", "0000:12:01.0"]);
  });

  it("no NUMA: root ports from slot 2 of bus 0 (q35's host bridge and a spare come first)", () => {
    expect(guestPfPciPath(-1, 0, "vfio-user")).toEqual(["pci0000:00", "0000:00:02.0", "0000:01:00.0"]);
  });

  it("an expander's buses hold 15 PFs over vfio-user and 7 over proxy; one more is refused", () => {
    for (const transport of ["vfio-user", "proxy"] as const) {
      const max = maxPfsPerNumaNode(transport);
      expect(guestPfBuses(0, max - 1, transport).deviceBus).toBe(0x1f - (transport === "proxy" ? 1 : 0));
      expect(() => guestPfBuses(0, max, transport)).toThrow("too many PFs on NUMA node 0 for the guest's bus numbering (pxb-pcie bus_nr 0x10..0x1f)");
    }
    expect([maxPfsPerNumaNode("vfio-user"), maxPfsPerNumaNode("proxy")]).toEqual([15, 7]);
    expect(() => guestPfBuses(-1, 30, "vfio-user")).toThrow("PCI bus numbers exhausted");
  });
});
