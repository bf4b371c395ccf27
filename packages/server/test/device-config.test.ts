import { describe, expect, test } from "vitest";
import {
  buildDeviceConfig,
  MOCK_ACCEL_UUID_NAMESPACE,
  parseSize,
  uuidFromLabelOrCanonical,
  uuidToCanonical,
  uuidV5,
} from "../src/device/device-config.ts";
import { DEVICE_CONFIG } from "../src/generated/registers.ts";

const GiB = 1n << 30n;

describe("parseSize", () => {
  test.each([
    ["16G", 16n * GiB],
    ["16g", 16n * GiB],
    ["2GiB", 2n * GiB],
    ["512M", 512n << 20n],
    ["512MiB", 512n << 20n],
    ["4K", 4096n],
    ["1T", 1n << 40n],
    ["1.5G", 3n * (GiB / 2n)],
    ["17179869184", 16n * GiB],
    ["4096B", 4096n],
  ])("%s is %d bytes", (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  test.each(["", "G", "16X", "-1G", "16GB", "1.3K", "0", "0G", "16 G B", "99999999999999999999T", "1e9"])(
    "%j is refused with an error naming it",
    (text) => {
      expect(() => parseSize(text)).toThrow(`"${text}"`);
    },
  );
});

describe("UUIDs", () => {
  test("a canonical UUID is taken as is (any case), byte 0 first", () => {
    const u = uuidFromLabelOrCanonical("0123ABCD-4567-89ab-cdef-0123456789AB");
    expect(u.derived).toBe(false);
    expect(u.canonical).toBe("0123abcd-4567-89ab-cdef-0123456789ab");
    expect(Array.from(u.bytes.slice(0, 4))).toEqual([0x01, 0x23, 0xab, 0xcd]);
    expect(u.bytes[15]).toBe(0xab);
  });

  test("a label maps to the same version-5 UUID every time, not to its ASCII", () => {
    const a = uuidFromLabelOrCanonical("gpu0");
    const b = uuidFromLabelOrCanonical("gpu0");
    const c = uuidFromLabelOrCanonical("gpu1");
    expect(a.derived).toBe(true);
    expect(a.canonical).toBe(b.canonical);
    expect(a.canonical).not.toBe(c.canonical);
    expect(a.canonical).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new TextDecoder().decode(a.bytes.slice(0, 4))).not.toBe("gpu0");
  });

  test("uuidV5 matches RFC 4122's published example (python.org in the DNS namespace)", () => {
    const dns = uuidFromLabelOrCanonical("6ba7b810-9dad-11d1-80b4-00c04fd430c8").bytes;
    expect(uuidToCanonical(uuidV5(dns, "python.org"))).toBe("886313e1-3b8a-5372-9b90-0c9aee199e5d");
    expect(MOCK_ACCEL_UUID_NAMESPACE).toBe(uuidToCanonical(uuidV5(dns, "mock-accel.invalid")));
  });

  test("an empty label is refused", () => {
    expect(() => uuidFromLabelOrCanonical("")).toThrow(/non-empty label/);
  });
});

describe("buildDeviceConfig", () => {
  const def = (name: string) => DEVICE_CONFIG.find((d) => d.name === name)!;

  test("a PF gets the spec's PF defaults", () => {
    const c = buildDeviceConfig({ kind: "pf", uuid: "pf0" });
    expect(c.memory_size).toBe(def("memory_size").defaultPf);
    expect(c.memory_size).toBe(16n * GiB);
    expect(c.vf_index).toBe(0xffff_ffffn);
    expect(c.total_vfs).toBe(0n);
    expect(c.fw_version).toBe(def("fw_version").defaultPf);
    expect(c.uuid).toEqual(uuidFromLabelOrCanonical("pf0").bytes);
  });

  test("a VF gets VF defaults; without an index, the spec's value that leaves it to the guest driver", () => {
    expect(buildDeviceConfig({ kind: "vf", uuid: "vf" }).vf_index).toBe(def("vf_index").defaultVf);
    expect(buildDeviceConfig({ kind: "vf", uuid: "vf", vfIndex: 0xffff_ffff }).vf_index).toBe(0xffff_ffffn);
    const c = buildDeviceConfig({ kind: "vf", uuid: "vf", vfIndex: 2 });
    expect(c.memory_size).toBe(2n * GiB);
    expect(c.vf_index).toBe(2n);
    expect(c.total_vfs).toBe(0n);
  });

  test("options override defaults; memory size takes text", () => {
    const c = buildDeviceConfig({ kind: "pf", uuid: "x", memorySize: "512M", totalVfs: 4, capabilities: 0b101, fwVersion: 0x00020304 });
    expect(c.memory_size).toBe(512n << 20n);
    expect(c.total_vfs).toBe(4n);
    expect(c.capabilities).toBe(5n);
    expect(c.fw_version).toBe(0x00020304n);
  });

  test.each([
    [{ kind: "pf", uuid: "x", totalVfs: 8 }, /total_vfs: 8 exceeds the maximum 7/],
    [{ kind: "vf", uuid: "x", vfIndex: 0, totalVfs: 1 }, /total_vfs: a virtual function carries no VFs/],
    [{ kind: "pf", uuid: "x", vfIndex: 1 }, /vf_index: only a VF/],
    [{ kind: "vf", uuid: "x", vfIndex: 7 }, /vf_index: 7 is outside 0..6/],
    [{ kind: "pf", uuid: "x", capabilities: 2 ** 32 }, /capabilities: 4294967296 does not fit u32/],
    [{ kind: "pf", uuid: "x", memorySize: 1.5 }, /memory_size: 1.5 is not a whole number/],
    [{ kind: "pf", uuid: new Uint8Array(15) }, /16 bytes, got 15/],
    [{ kind: "xx", uuid: "x" }, /kind must be/],
  ] as const)("refuses %j", (options, message) => {
    expect(() => buildDeviceConfig(options as never)).toThrow(message);
  });
});

describe("device-config.ts stays light to load (issue 20)", () => {
  // node:crypto costs about 5 MB of RSS in the process that builds device configs (the
  // server's main thread); uuidV5 uses Bun.CryptoHasher instead. The RSS itself is in the bench.
  test("it does not import node:crypto", async () => {
    const source = await Bun.file(new URL("../src/device/device-config.ts", import.meta.url)).text();
    const imports = new Bun.Transpiler({ loader: "ts" }).scanImports(source).map((i) => i.path);
    expect(imports).not.toContain("node:crypto");
    expect(imports).not.toContain("crypto");
  });
});
