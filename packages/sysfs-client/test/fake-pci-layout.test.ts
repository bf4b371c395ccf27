// The fake tree's PCI layout without files: where PFs go (per node, in order, per transport),
// the functions of a PF's slot, and the kernel's uevent text for a mock-accel function.
import { describe, expect, it } from "vitest";
import { functionAddress, GuestPfPlacement, mockIdentity, parseExplicitPciPath, pciUevent, vfFunction } from "../src/fake-pci-layout.ts";
import { PCI_IDS, SRIOV } from "../src/generated/attributes.ts";

describe("fake PCI layout", () => {
  it("places each node's PFs in order behind its own root ports, counting per node", () => {
    const p = new GuestPfPlacement("vfio-user");
    expect(p.next(0, "t")).toEqual(["pci0000:10", "0000:10:00.0", "0000:11:00.0"]);
    expect(p.next(1, "t")).toEqual(["pci0000:20", "0000:20:00.0", "0000:21:00.0"]);
    expect(p.next(0, "t")).toEqual(["pci0000:10", "0000:10:01.0", "0000:12:00.0"]);
    expect(p.next(-1, "t")).toEqual(["pci0000:00", "0000:00:02.0", "0000:01:00.0"]);
  });

  it("over the proxy a pcie-pci-bridge sits between root port and device (slot 1)", () => {
    const p = new GuestPfPlacement("proxy");
    expect(p.next(0, "t")).toEqual(["pci0000:10", "0000:10:00.0", "0000:11:00.0", "0000:12:01.0"]);
    expect(p.next(0, "t")).toEqual(["pci0000:10", "0000:10:01.0", "0000:13:00.0", "0000:14:01.0"]);
    for (let k = 2; k < 7; k++) p.next(0, "t");
    expect(() => p.next(0, "t")).toThrow(/t: too many PFs on NUMA node 0 .*bus_nr 0x10\.\.0x1f.*give pciPath explicitly/);
  });

  it("VFs are the functions after the PF in its slot", () => {
    const pf = new GuestPfPlacement("vfio-user").next(0, "t");
    expect(functionAddress(pf, vfFunction(0))).toBe(`0000:11:00.${SRIOV.firstVfOffset}`);
    expect(() => parseExplicitPciPath("pci0000:10/0000:10:00.0/0000:11:00.1", "t")).toThrow(/the PF must be function 0/);
  });

  it("uevent: the driver first when bound, IDs in upper-case hex, the modalias", () => {
    const text = pciUevent(mockIdentity("0000:11:00.0", "vf", 0), "mock-accel");
    const X = (v: number, w: number) => v.toString(16).toUpperCase().padStart(w, "0");
    expect(text.split("\n")[0]).toBe("DRIVER=mock-accel");
    expect(text).toContain(`PCI_ID=${X(PCI_IDS.vendorId, 4)}:${X(PCI_IDS.vfDeviceId, 4)}\n`);
    expect(text).toContain(`MODALIAS=pci:v${X(PCI_IDS.vendorId, 8)}d${X(PCI_IDS.vfDeviceId, 8)}`);
    expect(pciUevent(mockIdentity("0000:11:00.0", "pf", 0), null).startsWith("PCI_CLASS=")).toBe(true);
  });
});
