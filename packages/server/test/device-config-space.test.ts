// PCI config space as a vfio-user client (or the proxy's view) reads it: IDs, class, header,
// BAR0 sizing, the PCI Express capability, and the PF's SR-IOV extended capability.
import { describe, expect, test } from "vitest";
import { decodeConfigSpace } from "../src/device/config-decode.ts";
import { PCI_CFG, PciConfigSpace, SRIOV_CAP } from "../src/device/config-space.ts";
import { buildDeviceConfig } from "../src/device/device-config.ts";
import { MockDevice } from "../src/device/mock-device.ts";
import { BAR0_SIZE_BYTES, PCI } from "../src/generated/registers.ts";

const pf = (totalVfs: number, multifunction = false) =>
  new MockDevice({ kind: "pf", config: buildDeviceConfig({ kind: "pf", uuid: "cfg", totalVfs }), multifunction });
const vf = () => new MockDevice({ kind: "vf", config: buildDeviceConfig({ kind: "vf", uuid: "cfg-vf", vfIndex: 0 }) });

describe("config space", () => {
  test("a PF shows vendor 0x1de5, device 0x0001, class 0x120000, subsystem 0/0, header type 0", () => {
    const cs = pf(0).configSpace;
    expect(cs.read(PCI_CFG.VENDOR_ID, 2)).toBe(0x1de5);
    expect(cs.read(PCI_CFG.DEVICE_ID, 2)).toBe(0x0001);
    expect(cs.read(PCI_CFG.VENDOR_ID, 4)).toBe(0x00011de5);
    expect(cs.read(PCI_CFG.REVISION_ID, 4) >>> 8).toBe(0x120000);
    expect(cs.read(PCI_CFG.REVISION_ID, 1)).toBe(PCI.revisionId);
    expect(cs.read(PCI_CFG.SUBSYSTEM_VENDOR_ID, 2)).toBe(0);
    expect(cs.read(PCI_CFG.SUBSYSTEM_ID, 2)).toBe(0);
    expect(cs.read(PCI_CFG.HEADER_TYPE, 1)).toBe(0);
    expect(cs.bytes).toHaveLength(4096);
  });

  test("a VF shows device 0x0002 and no SR-IOV capability", () => {
    const d = decodeConfigSpace(vf().configSpace.bytes);
    expect(d.deviceId).toBe(0x0002);
    expect(d.vendorId).toBe(0x1de5);
    expect(d.sriov).toBeNull();
    expect(d.extendedCapabilities).toEqual([]);
  });

  test("the multifunction bit is set on request", () => {
    expect(pf(2, true).configSpace.read(PCI_CFG.HEADER_TYPE, 1)).toBe(0x80);
    const cs = pf(2).configSpace;
    cs.setMultifunction(true);
    expect(decodeConfigSpace(cs.bytes).multifunction).toBe(true);
  });

  test("the capability list holds one PCI Express endpoint capability", () => {
    const d = decodeConfigSpace(pf(0).configSpace.bytes);
    expect(d.status & PCI_CFG.STATUS_CAP_LIST).toBeTruthy();
    expect(d.capabilities.map((c) => c.name)).toEqual(["PCI Express"]);
    expect(d.express).toEqual({ version: 2, deviceType: "endpoint", maxLinkSpeed: 1, maxLinkWidth: 1 });
  });

  test("a PF with 4 VFs carries SR-IOV at 0x100: ID 0x0010 v1, Initial = Total = 4, offset 1, stride 1, VF device 0x0002", () => {
    const dev = pf(4);
    const d = decodeConfigSpace(dev.configSpace.bytes);
    expect(d.extendedCapabilities).toEqual([{ offset: 0x100, id: 0x0010, version: 1, name: "SR-IOV" }]);
    expect(d.sriov).toMatchObject({ offset: 0x100, initialVfs: 4, totalVfs: 4, numVfs: 0, firstVfOffset: 1, vfStride: 1, vfDeviceId: 0x0002 });
    expect(dev.configSpace.read(0x100, 4)).toBe(0x00010010);
  });

  test("SR-IOV NumVFs and VF Enable are writable; TotalVFs is not", () => {
    const cs = pf(4).configSpace;
    cs.write(0x100 + SRIOV_CAP.NUM_VFS, 2, 3);
    cs.write(0x100 + SRIOV_CAP.CONTROL, 2, 1);
    cs.write(0x100 + SRIOV_CAP.TOTAL_VFS, 2, 7);
    const s = decodeConfigSpace(cs.bytes).sriov!;
    expect([s.numVfs, s.control, s.totalVfs]).toEqual([3, 1, 4]);
  });

  test("BAR0 is a 32-bit non-prefetchable memory BAR; writing 0xffffffff reads back the 4 KiB size mask", () => {
    const cs = pf(0).configSpace;
    expect(decodeConfigSpace(cs.bytes).bar0).toMatchObject({ space: "memory", bits: 32, prefetchable: false });
    cs.write(PCI_CFG.BAR0, 4, 0xffffffff);
    const sized = cs.read(PCI_CFG.BAR0, 4);
    expect(sized).toBe(0xfffff000);
    expect((~(sized & ~0xf) >>> 0) + 1).toBe(BAR0_SIZE_BYTES);
    cs.write(PCI_CFG.BAR0, 4, 0xfebf1234);
    expect(cs.read(PCI_CFG.BAR0, 4)).toBe(0xfebf1000);
    // BAR1..5 are unimplemented.
    cs.write(PCI_CFG.BAR0 + 4, 4, 0xffffffff);
    expect(cs.read(PCI_CFG.BAR0 + 4, 4)).toBe(0);
  });

  test("IDs and class are read-only; command memory-enable and bus-master are writable", () => {
    const cs = pf(0).configSpace;
    cs.write(PCI_CFG.VENDOR_ID, 4, 0x12345678);
    cs.write(PCI_CFG.REVISION_ID, 4, 0xffffffff);
    expect(cs.read(PCI_CFG.VENDOR_ID, 4)).toBe(0x00011de5);
    expect(cs.read(PCI_CFG.REVISION_ID, 4) >>> 8).toBe(0x120000);
    cs.write(PCI_CFG.COMMAND, 2, 0xffff);
    expect(cs.read(PCI_CFG.COMMAND, 2) & 0x0006).toBe(0x0006);
    expect(cs.read(PCI_CFG.COMMAND, 2) & 0x0001).toBe(0); // no I/O space
  });

  test("device reset unassigns BAR0 and clears the command register", () => {
    const dev = pf(2);
    dev.configSpace.write(PCI_CFG.BAR0, 4, 0xfe000000);
    dev.configSpace.write(PCI_CFG.COMMAND, 2, 0x0006);
    dev.reset();
    expect(dev.configSpace.read(PCI_CFG.BAR0, 4)).toBe(0);
    expect(dev.configSpace.read(PCI_CFG.COMMAND, 2)).toBe(0);
    expect(dev.configSpace.read(0x100 + SRIOV_CAP.TOTAL_VFS, 2)).toBe(2);
  });

  test("accesses outside 4 KiB or of odd sizes are refused", () => {
    const cs = new PciConfigSpace({ kind: "vf", totalVfs: 0 });
    expect(() => cs.read(4096, 1)).toThrow(RangeError);
    expect(() => cs.read(4094, 4)).toThrow(/outside/);
    expect(() => cs.read(0, 3)).toThrow(/size must be 1, 2 or 4/);
    expect(() => new PciConfigSpace({ kind: "pf", totalVfs: 8 })).toThrow(/TotalVFs must be 0..7/);
  });

  test("readInto / writeFrom move bytes through the same write mask", () => {
    const cs = pf(0).configSpace;
    const out = new Uint8Array(4);
    cs.readInto(0, out);
    expect(Array.from(out)).toEqual([0xe5, 0x1d, 0x01, 0x00]);
    cs.writeFrom(PCI_CFG.BAR0, new Uint8Array([0xff, 0xff, 0xff, 0xff]));
    expect(cs.read(PCI_CFG.BAR0, 4)).toBe(0xfffff000);
  });
});

describe("config spaces built with the same options share their template (issue 20)", () => {
  // White-box: the point is memory (two 4 KiB arrays per device fewer), which only the bench
  // measures; this checks the sharing happens, and the tests below that it cannot leak.
  type Inside = { writeMask: Uint8Array; initial: Uint8Array };
  const inside = (c: PciConfigSpace) => c as unknown as Inside;

  test("same options: one write mask and one initial image; other options: their own", () => {
    const a = new PciConfigSpace({ kind: "pf", totalVfs: 7 });
    const b = new PciConfigSpace({ kind: "pf", totalVfs: 7 });
    const c = new PciConfigSpace({ kind: "pf", totalVfs: 3 });
    expect(inside(a).writeMask).toBe(inside(b).writeMask);
    expect(inside(a).initial).toBe(inside(b).initial);
    expect(inside(a).writeMask).not.toBe(inside(c).writeMask);
    expect(c.read(PCI.sriov.capabilityOffset + SRIOV_CAP.TOTAL_VFS, 2)).toBe(3);
    expect(a.bytes).not.toBe(b.bytes);
  });

  test("a write, a reset and setMultifunction on one space leave the other alone", () => {
    const a = new PciConfigSpace({ kind: "pf", totalVfs: 7 });
    const b = new PciConfigSpace({ kind: "pf", totalVfs: 7 });
    a.writeFrom(PCI_CFG.CACHE_LINE_SIZE, Uint8Array.of(0x40));
    expect(b.read(PCI_CFG.CACHE_LINE_SIZE, 1)).toBe(0);
    a.setMultifunction(true);
    a.reset();
    b.reset();
    expect(a.read(PCI_CFG.HEADER_TYPE, 1) & PCI_CFG.HEADER_TYPE_MULTIFUNCTION).toBe(PCI_CFG.HEADER_TYPE_MULTIFUNCTION);
    expect(b.read(PCI_CFG.HEADER_TYPE, 1) & PCI_CFG.HEADER_TYPE_MULTIFUNCTION).toBe(0);
    expect(new PciConfigSpace({ kind: "pf", totalVfs: 7 }).read(PCI_CFG.HEADER_TYPE, 1) & PCI_CFG.HEADER_TYPE_MULTIFUNCTION).toBe(0);
  });
});
