// Reading and writing attributes as a DRA node agent does, and every way that can go wrong.
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, expectTypeOf, test } from "vitest";
import {
  AttributeNotFoundError,
  FIRMWARE,
  AttributeParseError,
  MockAccelSysfs,
  SchemaValidationError,
  WriteRejectedError,
  type PassphraseStatus,
  type SemVer,
} from "@mock-accel/sysfs-client";
import { fakeSysfs } from "./fake-root.ts";

async function oneDevice(topology: Parameters<typeof fakeSysfs>[0] = [{ totalVfs: 2, enabledVfs: 1 }]) {
  const fake = await fakeSysfs(topology);
  const client = new MockAccelSysfs({ root: fake.root });
  return { fake, client, pf: await client.get("mock0") };
}

describe("read", () => {
  test("each attribute comes back typed from the kernel's text", async () => {
    const { pf } = await oneDevice([{ uuid: "6f1c2a52-0d4e-4c1b-9a57-2b8f0e6d1a00", capabilities: 0b1011, fwVersion: "2.5.13", totalVfs: 4, enabledVfs: 1 }]);
    const memory = await pf.read("memory_size");
    expectTypeOf(memory).toEqualTypeOf<bigint>();
    expect(memory).toBe(16n << 30n);
    expect(await pf.read("uuid")).toBe("6f1c2a52-0d4e-4c1b-9a57-2b8f0e6d1a00");
    expect(await pf.read("capabilities")).toBe(0b1011);
    const fw = await pf.read("fw_version");
    expectTypeOf(fw).toEqualTypeOf<SemVer>();
    expect(fw).toEqual({ major: 2, minor: 5, patch: 13 });
    const status = await pf.read("passphrase_status");
    expectTypeOf(status).toEqualTypeOf<PassphraseStatus>();
    expect(status).toBe("idle");
    expect(await pf.read("wordlist_loaded")).toBe(true);
    expect(await pf.read("sriov_totalvfs")).toBe(4);
    expect(await pf.read("sriov_numvfs")).toBe(1);
  });

  test("the kernel's text on disk is the spec's format (what the fake writes is what the driver shows)", async () => {
    const { pf } = await oneDevice([{ capabilities: 0x5 }]);
    expect(await readFile(join(pf.path, "capabilities"), "utf8")).toBe("0x00000005\n");
    expect(await readFile(join(pf.path, "memory_size"), "utf8")).toBe("17179869184\n");
    expect(await readFile(join(pf.path, "fw_version"), "utf8")).toBe("1.2.0\n");
  });

  test("readAll() gives every readable attribute the function shows: PF-only ones on the PF, vf_index on a VF", async () => {
    const { client, pf } = await oneDevice();
    const all = await pf.readAll();
    expect(all).toMatchObject({ sriov_totalvfs: 2, sriov_numvfs: 1, status: 0, passphrase_length: 6, wordlist_size: FIRMWARE.words });
    expect(all).not.toHaveProperty("vf_index");
    expect(all).not.toHaveProperty("passphrase_generate"); // write-only
    const vf = await (await client.get("mock0_vf0")).readAll();
    expect(vf).toMatchObject({ vf_index: 0, memory_size: 2n << 30n });
    expect(vf).not.toHaveProperty("sriov_numvfs");
  });

  test("text that does not parse is an AttributeParseError with the path and the raw text, never a 0", async () => {
    const { fake, pf } = await oneDevice();
    await fake.setRawAttribute("mock0", "memory_size", "lots\n");
    const err = await pf.read("memory_size").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AttributeParseError);
    expect(err).toMatchObject({ path: join(pf.path, "memory_size"), raw: "lots\n", attribute: "memory_size" });
    await fake.setRawAttribute("mock0", "passphrase_status", "unknown\n");
    await expect(pf.read("passphrase_status")).rejects.toMatchObject({ name: "AttributeParseError", raw: "unknown\n" });
    await expect(pf.readAll()).rejects.toBeInstanceOf(AttributeParseError);
  });

  test("a missing file is an AttributeNotFoundError with its path", async () => {
    const { pf } = await oneDevice();
    await rm(join(pf.path, "uuid"));
    const err = await pf.read("uuid").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AttributeNotFoundError);
    expect(err).toMatchObject({ path: join(pf.path, "uuid"), attribute: "uuid" });
  });

  test("a PF-only attribute on a VF is an AttributeNotFoundError that says why, without touching the disk", async () => {
    const { client } = await oneDevice();
    const vf = await client.get("mock0_vf0");
    expect(vf.has("sriov_numvfs")).toBe(false);
    await expect(vf.read("sriov_numvfs")).rejects.toThrow(/PF-only, this is a VF/);
    await expect(vf.read("sriov_numvfs")).rejects.toBeInstanceOf(AttributeNotFoundError);
  });
});

describe("write", () => {
  test("status: the value is written as the kernel's store expects and reads back", async () => {
    const { pf } = await oneDevice();
    await pf.write("status", 1);
    expect(await pf.read("status")).toBe(1);
    expect(await readFile(join(pf.path, "status"), "utf8")).toBe("0x00000001\n");
  });

  test("a value outside the spec's schema is a SchemaValidationError and the file is not touched", async () => {
    const { pf } = await oneDevice();
    const before = await readFile(join(pf.path, "passphrase_length"), "utf8");
    for (const bad of [3, 13, 6.5, -1]) {
      const err = await pf.write("passphrase_length", bad).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SchemaValidationError);
      expect(err).toMatchObject({ attribute: "passphrase_length", value: bad, path: join(pf.path, "passphrase_length") });
      expect((err as SchemaValidationError).errors.length).toBeGreaterThan(0);
    }
    await expect(pf.write("status", 2 ** 32)).rejects.toBeInstanceOf(SchemaValidationError);
    // @ts-expect-error: status takes a number; a string is refused at run time too
    await expect(pf.write("status", "1")).rejects.toBeInstanceOf(SchemaValidationError);
    expect(await readFile(join(pf.path, "passphrase_length"), "utf8")).toBe(before);
  });

  test("sriov_numvfs above sriov_totalvfs is refused before the write (the kernel would say EINVAL)", async () => {
    const { pf } = await oneDevice([{ totalVfs: 2 }]);
    const err = await pf.write("sriov_numvfs", 3).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaValidationError);
    expect((err as Error).message).toContain("sriov_totalvfs (2)");
    expect(await pf.read("sriov_numvfs")).toBe(0);
  });

  test("a write the kernel refuses is a WriteRejectedError with the errno, the path and the value", async () => {
    const { fake, pf } = await oneDevice();
    await fake.rejectWrites("mock0", "status");
    const err = await pf.write("status", 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WriteRejectedError);
    expect(err).toMatchObject({ code: "EACCES", value: 1, path: join(pf.path, "status"), attribute: "status" });
    expect(await pf.read("status")).toBe(0);
  });

  test("writing sriov_numvfs on a PF, then the driver acting on it, shows the VFs", async () => {
    const { fake, client, pf } = await oneDevice([{ totalVfs: 3 }]);
    await pf.write("sriov_numvfs", 3);
    await fake.applyWrites(); // what the driver's store does
    expect((await client.discover()).map((d) => d.name)).toEqual(["mock0", "mock0_vf0", "mock0_vf1", "mock0_vf2"]);
  });

  test("write-only attributes take their one accepted value", async () => {
    const { pf } = await oneDevice();
    await pf.write("passphrase_generate", 1);
    await expect(pf.write("passphrase_generate", 2)).rejects.toBeInstanceOf(SchemaValidationError);
    // @ts-expect-error: write-only attributes cannot be read
    await expect(pf.read("passphrase_generate")).rejects.toThrow(/write-only/);
  });
});
