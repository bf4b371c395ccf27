// A DRA driver's first minutes on a node: find the devices, tell PFs from VFs, see where they sit.
import { readFile, readlink, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import {
  DeviceNotFoundError,
  DriverNotLoadedError,
  MockAccelSysfs,
  PCI_IDS,
  SysfsLayoutError,
} from "@mock-accel/sysfs-client";
import { fakeSysfs, tempDir } from "./fake-root.ts";

describe("discover()", () => {
  test("two NUMA nodes, one PF with 3 VFs of which 2 are enabled: every shown device with its identity", async () => {
    const fake = await fakeSysfs([
      { numaNode: 0, totalVfs: 3, enabledVfs: 2 },
      { numaNode: 1, memorySize: 32n << 30n },
    ]);
    const client = new MockAccelSysfs({ root: fake.root });
    const devices = await client.discover();

    expect(devices.map((d) => d.name)).toEqual(["mock0", "mock0_vf0", "mock0_vf1", "mock1"]);
    const [pf, vf0, vf1, other] = devices;
    expect(pf).toMatchObject({
      kind: "pf",
      pciAddress: "0000:11:00.0",
      numaNode: 0,
      vendorId: PCI_IDS.vendorId,
      deviceId: PCI_IDS.pfDeviceId,
      classCode: PCI_IDS.classCode,
      pcieRoot: "pci0000:10",
      vfIndex: null,
      pf: null,
    });
    expect(vf0).toMatchObject({ kind: "vf", pciAddress: "0000:11:00.1", deviceId: PCI_IDS.vfDeviceId, vfIndex: 0, pf: { name: "mock0", pciAddress: "0000:11:00.0" } });
    expect(vf1).toMatchObject({ kind: "vf", pciAddress: "0000:11:00.2", vfIndex: 1, pf: { name: "mock0", pciAddress: "0000:11:00.0" } });
    expect(other).toMatchObject({ kind: "pf", pciAddress: "0000:21:00.0", numaNode: 1, pcieRoot: "pci0000:20" });
    expect(await other!.read("memory_size")).toBe(32n << 30n);
  });

  test("paths are the real class device and PCI function directories, reached through the class links", async () => {
    const fake = await fakeSysfs([{ totalVfs: 1, enabledVfs: 1 }]);
    const [pf, vf] = await new MockAccelSysfs({ root: fake.root }).discover();
    const pciDir = join(fake.root, "devices/pci0000:10/0000:10:00.0/0000:11:00.0");
    expect(pf!.pciPath).toBe(pciDir);
    expect(pf!.path).toBe(join(pciDir, "mock-accel/mock0"));
    expect(vf!.path).toBe(join(fake.root, "devices/pci0000:10/0000:10:00.0/0000:11:00.1/mock-accel/mock0_vf0"));
  });

  test("the devices are sorted by name with numbers in order (mock2 before mock10)", async () => {
    const fake = await fakeSysfs(Array.from({ length: 11 }, (_, i) => ({ numaNode: i % 2 })));
    const names = (await new MockAccelSysfs({ root: fake.root }).discover()).map((d) => d.name);
    expect(names).toEqual(["mock0", "mock1", "mock2", "mock3", "mock4", "mock5", "mock6", "mock7", "mock8", "mock9", "mock10"]);
  });

  test("a device whose NUMA node is unknown reports -1", async () => {
    const fake = await fakeSysfs([{ numaNode: -1 }]);
    const [d] = await new MockAccelSysfs({ root: fake.root }).discover();
    expect(d).toMatchObject({ numaNode: -1, pcieRoot: "pci0000:00", pciAddress: "0000:01:00.0" });
  });

  test("the module not loaded is an error naming the class directory, not an empty list", async () => {
    const root = await tempDir();
    const err = await new MockAccelSysfs({ root }).discover().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DriverNotLoadedError);
    expect((err as DriverNotLoadedError).path).toBe(join(root, "class/mock-accel"));
    await rm(root, { recursive: true });
  });

  test("a module with no devices bound gives an empty list", async () => {
    const fake = await fakeSysfs([]);
    expect(await new MockAccelSysfs({ root: fake.root }).discover()).toEqual([]);
  });

  test("a class entry without a `device` link is a layout error naming the link", async () => {
    const fake = await fakeSysfs([{}]);
    const link = join(fake.fn("mock0").classPath, "device");
    await rm(link);
    const err = await new MockAccelSysfs({ root: fake.root }).discover().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SysfsLayoutError);
    expect((err as SysfsLayoutError).path).toBe(join(fake.root, "class/mock-accel/mock0/device"));
  });

  test("a PCI function with another device ID is a layout error naming the file the ID came from", async () => {
    const fake = await fakeSysfs([{}]);
    const pci = fake.fn("mock0").pciPath;
    const uevent = await readFile(join(pci, "uevent"), "utf8");
    await writeFile(join(pci, "uevent"), uevent.replace("PCI_ID=1DE5:0001", "PCI_ID=1DE5:1234"));
    const err = await new MockAccelSysfs({ root: fake.root }).discover().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SysfsLayoutError);
    expect((err as Error).message).toContain("device ID 0x1234");
    expect((err as SysfsLayoutError).path).toBe(join(pci, "uevent"));
  });

  test("without PCI_ID in uevent the vendor, device and class files are read", async () => {
    const fake = await fakeSysfs([{}]);
    const pci = fake.fn("mock0").pciPath;
    await writeFile(join(pci, "uevent"), "DRIVER=mock-accel\n");
    const [d] = await new MockAccelSysfs({ root: fake.root }).discover();
    expect(d).toMatchObject({ vendorId: 0x1de5, deviceId: 0x0001, classCode: 0x120000 });
    await writeFile(join(pci, "device"), "0x1234\n");
    await expect(new MockAccelSysfs({ root: fake.root }).discover()).rejects.toMatchObject({ path: join(pci, "device") });
  });
});

describe("discover() while the driver changes the class", () => {
  test("VFs enabled and disabled during discovery are either there or not, never an error", async () => {
    const fake = await fakeSysfs([{ totalVfs: 7 }, { totalVfs: 7, numaNode: 1 }]);
    const client = new MockAccelSysfs({ root: fake.root });
    let toggling = true;
    const toggler = (async () => {
      for (let i = 0; toggling; i++) {
        await fake.enableVfs("mock0", i % 2 === 0 ? 7 : 0);
        await fake.enableVfs("mock1", i % 2 === 0 ? 0 : 7);
      }
    })();
    try {
      for (let i = 0; i < 100; i++) {
        const names = (await client.discover()).map((d) => d.name);
        expect(names).toContain("mock0");
        expect(names).toContain("mock1");
      }
    } finally {
      toggling = false;
      await toggler;
    }
  });
});

describe("get(name)", () => {
  test("finds one device, a VF with its PF", async () => {
    const fake = await fakeSysfs([{ totalVfs: 2, enabledVfs: 2 }]);
    const client = new MockAccelSysfs({ root: fake.root });
    const vf = await client.get("mock0_vf1");
    expect(vf).toMatchObject({ name: "mock0_vf1", kind: "vf", vfIndex: 1, pf: { name: "mock0", pciAddress: "0000:11:00.0" } });
    expect((await client.get("mock0")).kind).toBe("pf");
  });

  test("a missing device is a DeviceNotFoundError with the name and the class path", async () => {
    const fake = await fakeSysfs([{ totalVfs: 2, enabledVfs: 1 }]);
    const client = new MockAccelSysfs({ root: fake.root });
    for (const name of ["mock7", "mock0_vf1", "../mock0"]) {
      const err = await client.get(name).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DeviceNotFoundError);
      expect(err).toMatchObject({ deviceName: name, path: join(fake.root, "class/mock-accel", name) });
    }
  });
});

describe("the fake tree has the kernel driver's layout (docs/architecture.md)", () => {
  test("class links, the class device's `device` and `subsystem` links, the driver link, bus links", async () => {
    const fake = await fakeSysfs([{ totalVfs: 2, enabledVfs: 1 }]);
    const r = fake.root;
    const pci = "devices/pci0000:10/0000:10:00.0/0000:11:00.0";
    expect(await readlink(join(r, "class/mock-accel/mock0"))).toBe(`../../${pci}/mock-accel/mock0`);
    expect(await readlink(join(r, "class/mock-accel/mock0_vf0"))).toBe("../../devices/pci0000:10/0000:10:00.0/0000:11:00.1/mock-accel/mock0_vf0");
    expect(await readlink(join(r, pci, "mock-accel/mock0/device"))).toBe("../../../0000:11:00.0");
    expect(await readlink(join(r, pci, "mock-accel/mock0/subsystem"))).toBe("../../../../../../class/mock-accel");
    expect(await readlink(join(r, pci, "driver"))).toBe("../../../../bus/pci/drivers/mock-accel");
    expect(await readlink(join(r, "bus/pci/devices/0000:11:00.2"))).toBe("../../../devices/pci0000:10/0000:10:00.0/0000:11:00.2");
  });
});
