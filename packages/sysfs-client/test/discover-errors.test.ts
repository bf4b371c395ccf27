// A DRA driver's "report and skip": one broken device must not hide the others, and the
// driver must be told which one and why.
import { mkdir, readFile, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { DriverNotLoadedError, MockAccelSysfs, SysfsLayoutError, type DeviceEvent, type MockAccelSysfsError } from "@mock-accel/sysfs-client";
import { fakeSysfs } from "./fake-root.ts";

function collect(): { errors: [MockAccelSysfsError, string][]; onError: (err: MockAccelSysfsError, name: string) => void } {
  const errors: [MockAccelSysfsError, string][] = [];
  return { errors, onError: (err, name) => errors.push([err, name]) };
}

describe("discover({ onError })", () => {
  test("a device whose `device` link is gone is reported and skipped; the others are discovered", async () => {
    const fake = await fakeSysfs([{ totalVfs: 2, enabledVfs: 2 }, {}, {}]);
    await rm(join(fake.fn("mock1").classPath, "device"));
    const client = new MockAccelSysfs({ root: fake.root });

    // Without onError the contract is unchanged: the broken device throws.
    await expect(client.discover()).rejects.toBeInstanceOf(SysfsLayoutError);

    const { errors, onError } = collect();
    const devices = await client.discover({ onError });
    expect(devices.map((d) => d.name)).toEqual(["mock0", "mock0_vf0", "mock0_vf1", "mock2"]);
    expect(errors).toHaveLength(1);
    const [err, name] = errors[0]!;
    expect(name).toBe("mock1");
    expect(err).toBeInstanceOf(SysfsLayoutError);
    expect(err.path).toBe(join(fake.root, "class/mock-accel/mock1/device"));
  });

  test("an unreadable PCI function (uevent is not a file) and a foreign device ID are each reported", async () => {
    const fake = await fakeSysfs([{}, {}, {}]);
    const uevent0 = join(fake.fn("mock0").pciPath, "uevent");
    await rm(uevent0);
    await mkdir(uevent0); // reading it fails with EISDIR, as an unreadable file would
    const uevent2 = join(fake.fn("mock2").pciPath, "uevent");
    await writeFile(uevent2, (await readFile(uevent2, "utf8")).replace("PCI_ID=1DE5:0001", "PCI_ID=1DE5:1234"));

    const { errors, onError } = collect();
    const devices = await new MockAccelSysfs({ root: fake.root }).discover({ onError });
    expect(devices.map((d) => d.name)).toEqual(["mock1"]);
    const byName = new Map(errors.map(([e, n]) => [n, e]));
    expect([...byName.keys()].sort()).toEqual(["mock0", "mock2"]);
    expect(byName.get("mock0")!.message).toContain("cannot read the PCI function's uevent");
    expect(byName.get("mock2")!.message).toContain("device ID 0x1234");
  });

  test("a VF whose PF is broken is still discovered, naming its PF's address", async () => {
    const fake = await fakeSysfs([{ totalVfs: 1, enabledVfs: 1 }]);
    await rm(join(fake.fn("mock0").classPath, "device"));
    const { errors, onError } = collect();
    const [vf, ...rest] = await new MockAccelSysfs({ root: fake.root }).discover({ onError });
    expect(rest).toEqual([]);
    expect(vf).toMatchObject({ name: "mock0_vf0", pf: { name: null, pciAddress: "0000:11:00.0" } });
    expect(errors.map(([, n]) => n)).toEqual(["mock0"]);
  });

  test("a healthy tree gives the same devices as discover() and no report", async () => {
    const fake = await fakeSysfs([{ totalVfs: 3, enabledVfs: 1 }, { numaNode: 1 }]);
    const client = new MockAccelSysfs({ root: fake.root });
    const { errors, onError } = collect();
    expect(await client.discover({ onError })).toEqual(await client.discover());
    expect(errors).toEqual([]);
  });

  test("an unloaded module still throws DriverNotLoadedError: it is about the node, not a device", async () => {
    const fake = await fakeSysfs([{}]);
    await fake.unloadDriver();
    const { errors, onError } = collect();
    await expect(new MockAccelSysfs({ root: fake.root }).discover({ onError })).rejects.toBeInstanceOf(DriverNotLoadedError);
    expect(errors).toEqual([]);
  });
});

describe("watch({ onError })", () => {
  test("a broken device reads as removed, and as added again once repaired; the watch goes on", async () => {
    const fake = await fakeSysfs([{}, {}]);
    const client = new MockAccelSysfs({ root: fake.root });
    const link = join(fake.fn("mock1").classPath, "device");
    const { errors, onError } = collect();
    const stop = new AbortController();
    const seen: string[] = [];
    const it = client.watch({ intervalMs: 5, signal: stop.signal, onError });
    const next = async (): Promise<DeviceEvent> => {
      const r = await it.next();
      if (r.done) throw new Error("watch ended");
      seen.push(`${r.value.type} ${r.value.device.name}`);
      return r.value;
    };
    await next();
    await next();
    const target = await readlink(link);
    await rm(link);
    expect(await next()).toMatchObject({ type: "removed", device: { name: "mock1" } });
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every(([e, n]) => n === "mock1" && e instanceof SysfsLayoutError)).toBe(true);
    await symlink(target, link);
    expect(await next()).toMatchObject({ type: "added", device: { name: "mock1" } });
    stop.abort();
    expect(seen).toEqual(["added mock0", "added mock1", "removed mock1", "added mock1"]);
  });
});

describe("devicePath", () => {
  test("is the kernel driver's character device, /dev/<name>, whatever the sysfs root", async () => {
    const fake = await fakeSysfs([{ totalVfs: 1, enabledVfs: 1 }]);
    const devices = await new MockAccelSysfs({ root: fake.root }).discover();
    expect(devices.map((d) => d.devicePath)).toEqual(["/dev/mock0", "/dev/mock0_vf0"]);
    // The fake writes the kernel's uevent; its DEVNAME is the node's name under /dev.
    for (const d of devices) expect(await readFile(join(d.path, "uevent"), "utf8")).toContain(`DEVNAME=${d.devicePath.slice("/dev/".length)}\n`);
  });
});
