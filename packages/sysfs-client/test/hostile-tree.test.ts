// A sysfs tree is input like any other: a FIFO where an attribute should be, an attribute of
// megabytes, a numa_node no kernel can show. Each is refused with a typed error, promptly,
// and without copying the whole file into the message (issue 17).
import { spawnSync } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { AttributeParseError, AttributeReadError, MockAccelSysfs, SysfsLayoutError, WriteRejectedError } from "@mock-accel/sysfs-client";
import { requirement, assertAvailable } from "@mock-accel/testkit";
import { fakeSysfs } from "./fake-root.ts";

const mkfifo = requirement("mkfifo", spawnSync("mkfifo", ["--version"]).status === 0, "apt-get install coreutils");

async function device(name = "mock0") {
  const fake = await fakeSysfs([{}]);
  const client = new MockAccelSysfs({ root: fake.root });
  const dev = await client.get(name);
  return { fake, dev, classPath: fake.fn(name).classPath, pciPath: fake.fn(name).pciPath, client };
}

describe("hostile sysfs trees", () => {
  test.skipIf(mkfifo.skip)("a FIFO in place of an attribute is refused at once instead of blocking the read", async () => {
    assertAvailable(mkfifo);
    const { dev, classPath } = await device();
    await rm(join(classPath, "status"));
    expect(spawnSync("mkfifo", [join(classPath, "status")]).status).toBe(0);
    const err = await dev.read("status").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AttributeReadError);
    expect((err as AttributeReadError).code).toBe("EINVAL");
  });

  test.skipIf(mkfifo.skip)("a FIFO in place of a writable attribute is refused at once instead of waiting for a reader", async () => {
    assertAvailable(mkfifo);
    const { dev, classPath } = await device();
    await rm(join(classPath, "status"));
    expect(spawnSync("mkfifo", ["-m", "0644", join(classPath, "status")]).status).toBe(0);
    const err = await dev.write("status", 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WriteRejectedError);
    expect((err as WriteRejectedError).code).toBe("EINVAL");
  });

  test("an attribute larger than a page is refused without being read whole or quoted whole", async () => {
    const { dev, classPath } = await device();
    await writeFile(join(classPath, "fw_version"), "1".repeat(8 << 20));
    const err = await dev.read("fw_version").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AttributeReadError);
    expect((err as AttributeReadError).code).toBe("EFBIG");
    expect((err as Error).message.length).toBeLessThan(500);
  });

  test("a parse error quotes the start of the text, not all of it", async () => {
    const { dev, classPath } = await device();
    await writeFile(join(classPath, "fw_version"), "x".repeat(4000));
    const err = await dev.read("fw_version").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AttributeParseError);
    expect((err as AttributeParseError).raw).toHaveLength(4000);
    expect((err as Error).message.length).toBeLessThan(500);
  });

  test("a numa_node no kernel can show is a layout error", async () => {
    const { pciPath, client } = await device();
    for (const bad of ["99999999999999999999\n", "1024\n", "-2\n"]) {
      await writeFile(join(pciPath, "numa_node"), bad);
      await expect(client.get("mock0"), bad).rejects.toThrow(SysfsLayoutError);
      await expect(client.get("mock0")).rejects.toThrow(/numa_node .* is outside -1\.\.1023/);
    }
    await writeFile(join(pciPath, "numa_node"), "-1\n");
    expect((await client.get("mock0")).numaNode).toBe(-1);
  });
});
