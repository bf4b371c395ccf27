// Attribute files the client keeps open between reads (issue 20): a kept file must give what a
// fresh open would (a new value, a device gone, a FIFO or an oversized file put in its place),
// the client never holds more than it was allowed, and close() gives every descriptor back.
import { spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync, readdirSync, readlinkSync, realpathSync } from "node:fs";
import { rm, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { AttributeNotFoundError, AttributeReadError, MockAccelSysfs } from "@mock-accel/sysfs-client";
import { assertAvailable, requirement } from "@mock-accel/testkit";
import { AttributeFiles } from "../src/attribute-files.ts";
import { fakeSysfs } from "./fake-root.ts";

const mkfifo = requirement("mkfifo", spawnSync("mkfifo", ["--version"]).status === 0, "apt-get install coreutils");
// A real sysfs attribute whose value changes on demand: the loopback interface's packet count.
const LO_RX = "/sys/class/net/lo/statistics/rx_packets";
const loopbackSysfs = requirement("sysfs with the loopback interface", existsSync(LO_RX), "mount sysfs at /sys (Linux)");

/** One UDP datagram through the loopback interface, to a socket of our own. */
async function loopbackPacket(): Promise<void> {
  const rx = createSocket("udp4");
  await new Promise<void>((resolve) => rx.bind(0, "127.0.0.1", resolve));
  const got = new Promise<void>((resolve) => rx.once("message", () => resolve()));
  const tx = createSocket("udp4");
  tx.send("x", rx.address().port, "127.0.0.1");
  await got;
  tx.close();
  rx.close();
}

/** Descriptors of this process open on files under `dir` (what the kernel says, not what the client counts). */
function fdsUnder(dir: string): number {
  const real = realpathSync(dir);
  let n = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(`${real}/`)) n++;
    } catch {
      // closed between the listing and the readlink (the listing's own descriptor)
    }
  }
  return n;
}

describe("kept attribute files", () => {
  test("a value changed after the file was kept open is read, whether replaced by rename or rewritten in place", async () => {
    const fake = await fakeSysfs([{}]);
    using client = new MockAccelSysfs({ root: fake.root });
    const dev = await client.get("mock0");
    expect(await dev.read("status")).toBe(0);
    expect(fdsUnder(fake.root)).toBe(1);
    await fake.setAttribute("mock0", "status", 1); // the fake renames a new file into place
    expect(await dev.read("status")).toBe(1);
    await dev.write("status", 0); // the client writes in place
    expect(await dev.read("status")).toBe(0);
    expect(fdsUnder(fake.root)).toBe(1);
  });

  test("a device removed after its file was kept open is reported gone, not read from the old file", async () => {
    const fake = await fakeSysfs([{ totalVfs: 2, enabledVfs: 2 }]);
    using client = new MockAccelSysfs({ root: fake.root });
    const vf = await client.get("mock0_vf1");
    expect(await vf.read("status")).toBe(0);
    await fake.enableVfs("mock0", 1);
    await expect(vf.read("status")).rejects.toBeInstanceOf(AttributeNotFoundError);
    expect(fdsUnder(fake.root)).toBe(0);
  });

  test.skipIf(mkfifo.skip)("a FIFO put in place of a kept file is refused at once, as on a first read", async () => {
    assertAvailable(mkfifo);
    const fake = await fakeSysfs([{}]);
    using client = new MockAccelSysfs({ root: fake.root });
    const dev = await client.get("mock0");
    await dev.read("status");
    const path = join(fake.fn("mock0").classPath, "status");
    await rm(path);
    expect(spawnSync("mkfifo", [path]).status).toBe(0);
    const err = await dev.read("status").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AttributeReadError);
    expect((err as AttributeReadError).code).toBe("EINVAL");
  });

  test("a kept file grown past a page is refused, and a shrunk one read whole", async () => {
    const fake = await fakeSysfs([{}]);
    using client = new MockAccelSysfs({ root: fake.root });
    const dev = await client.get("mock0");
    await dev.read("fw_version");
    const path = join(fake.fn("mock0").classPath, "fw_version");
    await writeFile(path, "1".repeat(8192)); // in place: the same inode
    const err = await dev.read("fw_version").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AttributeReadError);
    expect((err as AttributeReadError).code).toBe("EFBIG");
    await truncate(path, 0);
    await writeFile(path, "2.0.1\n");
    expect(await dev.read("fw_version")).toEqual({ major: 2, minor: 0, patch: 1 });
  });

  test("no more files are held than allowed, the least recently read closed first", async () => {
    const fake = await fakeSysfs([{}]);
    using client = new MockAccelSysfs({ root: fake.root, maxOpenFiles: 3 });
    const dev = await client.get("mock0");
    const values = await dev.readAll();
    expect(Object.keys(values).length).toBeGreaterThan(3);
    expect(client.openFiles).toBe(3);
    expect(fdsUnder(fake.root)).toBe(3);
    // Read again, they are still right.
    expect(await dev.readAll()).toEqual(values);
    expect(fdsUnder(fake.root)).toBe(3);
  });

  test("the least recently read file is the one closed", async () => {
    const fake = await fakeSysfs([{}]);
    const dir = realpathSync(fake.fn("mock0").classPath);
    const files = new AttributeFiles(2);
    try {
      const open = () => readdirSync("/proc/self/fd").flatMap((fd) => {
        try {
          const target = readlinkSync(`/proc/self/fd/${fd}`);
          return target.startsWith(`${dir}/`) ? [target.slice(dir.length + 1)] : [];
        } catch {
          return [];
        }
      }).sort();
      files.read(join(dir, "status"));
      files.read(join(dir, "uuid"));
      files.read(join(dir, "status"));
      files.read(join(dir, "fw_version"));
      expect(open()).toEqual(["fw_version", "status"]);
      files.read(join(dir, "uuid"));
      expect(open()).toEqual(["fw_version", "uuid"]);
    } finally {
      files.close();
    }
  });

  test("close() gives every descriptor back, and the client goes on reading", async () => {
    const fake = await fakeSysfs([{ totalVfs: 2, enabledVfs: 2 }]);
    const client = new MockAccelSysfs({ root: fake.root });
    for (const d of await client.discover()) await d.readAll();
    expect(fdsUnder(fake.root)).toBe(client.openFiles);
    expect(client.openFiles).toBeGreaterThan(10);
    client.close();
    expect(client.openFiles).toBe(0);
    expect(fdsUnder(fake.root)).toBe(0);
    expect(await (await client.get("mock0")).read("status")).toBe(0);
    client.close();
    expect(fdsUnder(fake.root)).toBe(0);
  });

  test.skipIf(loopbackSysfs.skip)("on real sysfs a kept file read again runs show() again: the value is fresh", async () => {
    assertAvailable(loopbackSysfs);
    const files = new AttributeFiles();
    try {
      const before = BigInt(files.read(LO_RX));
      await loopbackPacket();
      const after = BigInt(files.read(LO_RX));
      expect(files.openCount).toBe(1);
      expect(after).toBeGreaterThan(before);
    } finally {
      files.close();
    }
  });

  test("maxOpenFiles 0 keeps nothing open", async () => {
    const fake = await fakeSysfs([{}]);
    const client = new MockAccelSysfs({ root: fake.root, maxOpenFiles: 0 });
    await (await client.get("mock0")).readAll();
    expect(fdsUnder(fake.root)).toBe(0);
    expect(() => new AttributeFiles(-1)).toThrow(RangeError);
  });
});
