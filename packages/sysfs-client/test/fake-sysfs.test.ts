// createFakeSysfs(): the tree a DRA driver author tests against, and the kernel's moves on it.
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { ATTRIBUTE_NAMES, ATTRIBUTES, DEVICE_CONFIG_DEFAULTS, MockAccelSysfs, PCI_IDS, SRIOV, createFakeSysfs } from "@mock-accel/sysfs-client";
import { fakeSysfs, tempDir } from "./fake-root.ts";

const addresses = async (root: string) => (await new MockAccelSysfs({ root }).discover()).map((d) => `${d.name} ${d.pciAddress} ${d.pcieRoot}`);

describe("PCI placement", () => {
  test("like the guest qemu-args wires it: a pxb-pcie per NUMA node (bus 0x10, 0x20, ...), a root port per PF", async () => {
    const fake = await fakeSysfs([{ numaNode: 0 }, { numaNode: 1 }, { numaNode: 0, totalVfs: 1, enabledVfs: 1 }]);
    expect(await addresses(fake.root)).toEqual([
      "mock0 0000:11:00.0 pci0000:10",
      "mock1 0000:21:00.0 pci0000:20",
      "mock2 0000:12:00.0 pci0000:10",
      "mock2_vf0 0000:12:00.1 pci0000:10",
    ]);
    expect(fake.fn("mock2").pciPath).toBe(join(fake.root, "devices/pci0000:10/0000:10:01.0/0000:12:00.0"));
  });

  test("proxy transport: a pcie-pci-bridge behind each root port, the device at slot 1", async () => {
    const fake = await fakeSysfs([{ totalVfs: 1, enabledVfs: 1 }, {}], { transport: "proxy" });
    expect(fake.fn("mock0").pciPath).toBe(join(fake.root, "devices/pci0000:10/0000:10:00.0/0000:11:00.0/0000:12:01.0"));
    expect(fake.fn("mock1").pciPath).toBe(join(fake.root, "devices/pci0000:10/0000:10:01.0/0000:13:00.0/0000:14:01.0"));
    expect(await addresses(fake.root)).toEqual(["mock0 0000:12:01.0 pci0000:10", "mock0_vf0 0000:12:01.1 pci0000:10", "mock1 0000:14:01.0 pci0000:10"]);
    // The bridge is a PCI device in its own right, with QEMU's IDs.
    expect(await readFile(join(fake.root, "bus/pci/devices/0000:11:00.0/device"), "utf8")).toBe("0x000e\n");
  });

  test("an explicit pciPath is used as given", async () => {
    const fake = await fakeSysfs([{ pciPath: "pci0000:00/0000:00:03.0/0000:05:00.0", numaNode: -1 }]);
    expect(await addresses(fake.root)).toEqual(["mock0 0000:05:00.0 pci0000:00"]);
  });

  test("bad topologies are refused naming the entry and field, and leave nothing behind", async () => {
    const cases: [Parameters<typeof createFakeSysfs>[1], RegExp][] = [
      [[{ totalVfs: 8 }], /topology\[0\]\.totalVfs: 8 is not 0\.\.7/],
      [[{}, { totalVfs: 2, enabledVfs: 3 }], /topology\[1\]\.enabledVfs: 3/],
      [[{ pciPath: "0000:11:00.0" }], /topology\[0\]\.pciPath: must start with the root complex/],
      [[{ pciPath: "pci0000:10/0000:10:00.0/0000:11:00.3" }], /topology\[0\]\.pciPath: the PF must be function 0/],
      [[{ fwVersion: "1.2" }], /topology\[0\]: fwVersion "1.2" is not M\.m\.p/],
      [[{ name: "a" }, { name: "a" }], /topology\[1\]\.name: 'a' is already in the tree/],
      [[{ name: "a", totalVfs: 1 }], /topology\[0\]\.name: 'a' is not a PF name the driver gives/],
      [Array.from({ length: 16 }, () => ({ numaNode: 0 })), /topology\[15\]: too many PFs on NUMA node 0/],
      [[{ uuid: "" }], /topology\[0\]\.uuid: invalid UUID ""/],
      [[{ totalVfs: 1, vfs: [{ memorySize: 1 as unknown as bigint }] }], /topology\[0\]\.vfs\[0\]: memory_size = 1: Expected bigint/],
      [[{ attributes: { passphrase_status: "sleepy" as "idle" } }], /topology\[0\]: passphrase_status = "sleepy"/],
    ];
    for (const [topology, message] of cases) {
      const dir = await tempDir();
      await expect(createFakeSysfs(dir, topology)).rejects.toThrow(message);
      await expect(stat(dir)).rejects.toMatchObject({ code: "ENOENT" });
    }
  });
});

describe("attribute files", () => {
  test("a device the topology says little about shows the spec's device_config defaults and reset values", async () => {
    const fake = await fakeSysfs([{ totalVfs: 1, enabledVfs: 1 }]);
    const client = new MockAccelSysfs({ root: fake.root });
    const [pf, vf] = await client.discover();
    expect(await pf!.read("memory_size")).toBe(DEVICE_CONFIG_DEFAULTS.memory_size.pf);
    expect(await vf!.read("memory_size")).toBe(DEVICE_CONFIG_DEFAULTS.memory_size.vf);
    expect(BigInt(await pf!.read("capabilities"))).toBe(DEVICE_CONFIG_DEFAULTS.capabilities.pf);
    expect(await pf!.read("fw_version")).toEqual({ major: 1, minor: 2, patch: 0 });
    expect(await pf!.read("sriov_totalvfs")).toBe(1);
    for (const n of ["status", "passphrase_length", "passphrase_status", "passphrase_count", "passphrase"] as const) {
      expect(await vf!.read(n), n).toEqual(ATTRIBUTES[n].reset);
    }
    expect(await pf!.read("passphrase_length")).toBe(6);
    expect(await pf!.read("passphrase_status")).toBe("idle");
  });

  test("PCI identity files and VF functions follow the spec's pci section", async () => {
    const fake = await fakeSysfs([{ totalVfs: 2, enabledVfs: 2 }]);
    const pci = (fn: string, f: string) => readFile(join(fake.fn(fn).pciPath, f), "utf8");
    const hex = (v: number, w: number) => `0x${v.toString(16).padStart(w, "0")}\n`;
    expect(await pci("mock0", "revision")).toBe(hex(PCI_IDS.revisionId, 2));
    expect(await pci("mock0_vf1", "subsystem_vendor")).toBe(hex(PCI_IDS.subsystemVendorId, 4));
    expect(await pci("mock0_vf1", "subsystem_device")).toBe(hex(PCI_IDS.subsystemId, 4));
    expect(await pci("mock0", "uevent")).toContain("PCI_SUBSYS_ID=0000:0000\n");
    const fnOf = (name: string) => Number(fake.fn(name).pciAddress.split(".")[1]);
    expect([fnOf("mock0"), fnOf("mock0_vf0"), fnOf("mock0_vf1")]).toEqual([0, SRIOV.firstVfOffset, SRIOV.firstVfOffset + SRIOV.vfStride]);
    expect(fake.fn("mock0_vf1").pciAddress).toBe("0000:11:00.2");
  });

  test("every attribute the spec shows on a function, with the spec's mode; PF-only ones only on PFs", async () => {
    const fake = await fakeSysfs([{ totalVfs: 1, enabledVfs: 1 }]);
    for (const name of ["mock0", "mock0_vf0"]) {
      const f = fake.fn(name);
      const files = await readdir(f.classPath);
      const expected = ATTRIBUTE_NAMES.filter((n) => ATTRIBUTES[n].functions === "all" || ATTRIBUTES[n].functions === f.kind);
      expect(files.sort()).toEqual([...expected, "dev", "device", "subsystem", "uevent"].sort());
      for (const n of expected) expect(((await stat(join(f.classPath, n))).mode & 0o777).toString(8)).toBe(ATTRIBUTES[n].mode.toString(8));
    }
    expect(await readFile(join(fake.fn("mock0_vf0").classPath, "uevent"), "utf8")).toBe("MAJOR=240\nMINOR=1\nDEVNAME=mock0_vf0\n");
  });

  test("UUIDs default to stable values derived from the name, different per device", async () => {
    const a = await fakeSysfs([{ totalVfs: 1, enabledVfs: 1 }]);
    const b = await fakeSysfs([{ totalVfs: 1, enabledVfs: 1 }]);
    const uuids = async (root: string) => Promise.all((await new MockAccelSysfs({ root }).discover()).map((d) => d.read("uuid")));
    const [ua, ub] = [await uuids(a.root), await uuids(b.root)];
    expect(ua).toEqual(ub);
    expect(new Set(ua).size).toBe(2);
  });

  test("setAttribute writes the kernel's text for a typed value; the client reads it back", async () => {
    const fake = await fakeSysfs([{}]);
    const pf = await new MockAccelSysfs({ root: fake.root }).get("mock0");
    await fake.setAttribute("mock0", "passphrase_status", "ready");
    await fake.setAttribute("mock0", "passphrase", "correct horse battery staple");
    await fake.setAttribute("mock0", "passphrase_count", 4);
    expect(await pf.read("passphrase_status")).toBe("ready");
    expect(await pf.read("passphrase")).toBe("correct horse battery staple");
    expect(await pf.read("passphrase_count")).toBe(4);
    await expect(fake.setAttribute("mock0", "vf_index", 1)).rejects.toThrow(/does not show 'vf_index'/);
    await expect(fake.setAttribute("mock0", "passphrase_count", -1)).rejects.toThrow(/passphrase_count = -1: Expected integer to be greater or equal to 0/);
  });

  test("a VF disabled and enabled again keeps its attribute values (they live in the device)", async () => {
    const fake = await fakeSysfs([{ totalVfs: 1, enabledVfs: 1 }]);
    const client = new MockAccelSysfs({ root: fake.root });
    await (await client.get("mock0_vf0")).write("status", 0x1);
    await fake.enableVfs("mock0", 0);
    await fake.enableVfs("mock0", 1);
    expect(await (await client.get("mock0_vf0")).read("status")).toBe(1);
  });
});

describe("the kernel's moves", () => {
  test("enableVfs beyond sriov_totalvfs is refused like the driver refuses it", async () => {
    const fake = await fakeSysfs([{ totalVfs: 2 }]);
    await expect(fake.enableVfs("mock0", 3)).rejects.toThrow(/not 0\.\.2/);
    await expect(fake.enableVfs("mock0_vf0", 1)).rejects.toThrow(/only a PF/);
  });

  test("removeDevice with pci: true unplugs the functions; cleanup() leaves nothing", async () => {
    const fake = await createFakeSysfs(await tempDir(), [{ totalVfs: 2, enabledVfs: 1 }, {}]);
    await fake.removeDevice("mock0", { pci: true });
    expect(await addresses(fake.root)).toEqual(["mock1 0000:12:00.0 pci0000:10"]);
    expect((await readdir(join(fake.root, "bus/pci/devices"))).sort()).toEqual(["0000:10:00.0", "0000:10:01.0", "0000:12:00.0"]);
    expect(() => fake.fn("mock0_vf1")).toThrow(/no device 'mock0_vf1'/);
    await fake.cleanup();
    await expect(stat(fake.root)).rejects.toMatchObject({ code: "ENOENT" });
  });

  test("unbinding a PF removes it and its VFs from the class; the PCI functions stay", async () => {
    const fake = await fakeSysfs([{ totalVfs: 1, enabledVfs: 1 }]);
    await fake.removeDevice("mock0");
    expect(await addresses(fake.root)).toEqual([]);
    expect(fake.isShown("mock0_vf0")).toBe(false);
    expect(await readdir(join(fake.root, "bus/pci/devices"))).toContain("0000:11:00.1");
  });

  test("applyWrites refuses a sriov_numvfs the driver would refuse, and puts the old value back", async () => {
    const fake = await fakeSysfs([{ totalVfs: 1 }]);
    await fake.setRawAttribute("mock0", "sriov_numvfs", "5\n");
    await expect(fake.applyWrites()).rejects.toThrow(/would refuse/);
    expect(await readFile(join(fake.fn("mock0").classPath, "sriov_numvfs"), "utf8")).toBe("0\n");
  });
});
