// What a DRA driver publishes in its ResourceSlice for each device.
import { describe, expect, test } from "vitest";
import { MockAccelSysfs, PCIE_ROOT_ATTRIBUTE, bytesToQuantity, dnsLabelName, toDeviceAttributes } from "@mock-accel/sysfs-client";
import { fakeSysfs } from "./fake-root.ts";

describe("toDeviceAttributes()", () => {
  test("a PF: spec-driven attributes and memory capacity under the domain, plus identity and pcieRoot", async () => {
    const fake = await fakeSysfs([{ numaNode: 1, uuid: "6f1c2a52-0d4e-4c1b-9a57-2b8f0e6d1a01", capabilities: 0x3, fwVersion: "1.4.2", totalVfs: 2, enabledVfs: 2 }]);
    const client = new MockAccelSysfs({ root: fake.root });
    const entry = await toDeviceAttributes(await client.get("mock0"));
    expect(entry).toEqual({
      attributes: {
        "mock-accel.example.com/deviceType": { string: "pf" },
        "mock-accel.example.com/pciAddress": { string: "0000:21:00.0" },
        "mock-accel.example.com/uuid": { string: "6f1c2a52-0d4e-4c1b-9a57-2b8f0e6d1a01" },
        "mock-accel.example.com/capabilities": { int: 3 },
        "mock-accel.example.com/compute": { bool: true },
        "mock-accel.example.com/encryption": { bool: true },
        "mock-accel.example.com/compression": { bool: false },
        "mock-accel.example.com/p2pDma": { bool: false },
        "mock-accel.example.com/numaNode": { int: 1 },
        "mock-accel.example.com/firmwareVersion": { version: "1.4.2" },
        "mock-accel.example.com/memory": { int: 16 * 2 ** 30 },
        [PCIE_ROOT_ATTRIBUTE]: { string: "pci0000:20" },
      },
      capacity: { "mock-accel.example.com/memory": { value: "16Gi" } },
    });
  });

  test("a VF names its PF (physFn) and the domain is configurable", async () => {
    const fake = await fakeSysfs([{ totalVfs: 2, enabledVfs: 2, vfs: [{}, { memorySize: 3n << 30n }] }]);
    const vf = await new MockAccelSysfs({ root: fake.root }).get("mock0_vf1");
    const { attributes, capacity } = await toDeviceAttributes(vf, { domain: "accel.example.org" });
    expect(attributes["accel.example.org/deviceType"]).toEqual({ string: "vf" });
    expect(attributes["accel.example.org/physFn"]).toEqual({ string: "0000:11:00.0" });
    expect(attributes["accel.example.org/pciAddress"]).toEqual({ string: "0000:11:00.2" });
    expect(capacity).toEqual({ "accel.example.org/memory": { value: "3Gi" } });
    // The old mock-device driver's names, kept for claims written against it.
    expect(attributes["accel.example.org/physfn"]).toEqual({ string: "mock0" });
    expect(attributes["accel.example.org/memory"]).toEqual({ int: 3 * 2 ** 30 });
    expect(Object.keys(attributes).every((k) => k.startsWith("accel.example.org/") || k === PCIE_ROOT_ATTRIBUTE)).toBe(true);
  });

  test("every CAPABILITIES field is a bool of its own, named in lowerCamel (CEL cannot mask the int)", async () => {
    const fake = await fakeSysfs([{ capabilities: 0x8 }, { capabilities: 0xe }]);
    const client = new MockAccelSysfs({ root: fake.root });
    const bools = async (name: string) =>
      Object.fromEntries(Object.entries((await toDeviceAttributes(await client.get(name))).attributes).filter(([, v]) => "bool" in v));
    expect(await bools("mock0")).toEqual({
      "mock-accel.example.com/compute": { bool: false },
      "mock-accel.example.com/encryption": { bool: false },
      "mock-accel.example.com/compression": { bool: false },
      "mock-accel.example.com/p2pDma": { bool: true },
    });
    expect(await bools("mock1")).toEqual({
      "mock-accel.example.com/compute": { bool: false },
      "mock-accel.example.com/encryption": { bool: true },
      "mock-accel.example.com/compression": { bool: true },
      "mock-accel.example.com/p2pDma": { bool: true },
    });
  });

  test("a domain that is not a DNS subdomain is refused", async () => {
    const fake = await fakeSysfs([{}]);
    const pf = await new MockAccelSysfs({ root: fake.root }).get("mock0");
    await expect(toDeviceAttributes(pf, { domain: "Not A Domain" })).rejects.toThrow(/DNS subdomain/);
  });
});

describe("quantities and names", () => {
  test("bytes become canonical Kubernetes quantities", () => {
    expect(bytesToQuantity(16n << 30n)).toBe("16Gi");
    expect(bytesToQuantity(2n << 30n)).toBe("2Gi");
    expect(bytesToQuantity(1536n << 20n)).toBe("1536Mi");
    expect(bytesToQuantity(1n << 40n)).toBe("1Ti");
    expect(bytesToQuantity(1000n)).toBe("1000");
    expect(bytesToQuantity(0n)).toBe("0");
  });

  test("dnsLabelName turns class names into DNS labels", () => {
    expect(dnsLabelName("mock0_vf0")).toBe("mock0-vf0");
    expect(dnsLabelName({ name: "Mock12" })).toBe("mock12");
    expect(dnsLabelName("x".repeat(70))).toHaveLength(63);
    expect(() => dnsLabelName("__")).toThrow(RangeError);
  });
});
