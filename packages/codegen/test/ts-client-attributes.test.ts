// The generated typed sysfs client: for every attribute, parse(format(v)) gives v back,
// malformed kernel text gives undefined (never a silent 0), and schemas carry the spec's ranges.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { Value } from "@sinclair/typebox/value";
import { loadSpecFile, loadSpecText } from "../src/load/load-spec.ts";
import { CLIENT_ATTRIBUTES_PATH, emitClientAttributes } from "../src/emit/emit-client-attributes.ts";
import type { AttributeValueType } from "../src/model/register-model.ts";
import { typeErrors } from "./fixtures/typecheck.ts";
import { miniSpec } from "./fixtures/mini-spec.ts";
import * as gen from "../../sysfs-client/src/generated/attributes.ts";

const REPO = fileURLToPath(new URL("../../..", import.meta.url));

function realModel() {
  const r = loadSpecFile(join(REPO, "spec/registers.yaml"), "spec/registers.yaml");
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("\n"));
  return r.model;
}

/** Values every attribute of a type must survive; enums use their own names. */
const SAMPLES: Record<Exclude<AttributeValueType, "enum">, unknown[]> = {
  u32: [0, 1, 7, 4096, 0xdeadbeef, 0xffffffff],
  s32: [-2147483648, -1, 0, 1, 2147483647],
  u64: [0n, 1n, 17179869184n, 2n ** 53n + 1n, 2n ** 64n - 1n],
  bool: [false, true],
  uuid: ["00000000-0000-0000-0000-000000000000", "0123abcd-ef01-4234-8567-89abcdef0123", "ffffffff-ffff-ffff-ffff-ffffffffffff"],
  semver: [
    { major: 0, minor: 0, patch: 0 },
    { major: 1, minor: 2, patch: 0 },
    { major: 255, minor: 255, patch: 255 },
  ],
  string: ["", "word", "correct horse battery staple", "x".repeat(256)],
};

/** Text the kernel never shows for an attribute of this format/type. */
const MALFORMED: Record<string, string[]> = {
  u32: ["", "\n", "abc", " 1", "1 ", "01", "+1", "-1", "1.0", "0x10", "4294967296", "99999999999999999999", "1\n\n"],
  s32: ["", "-0", "--1", "+1", "01", "2147483648", "-2147483649", "1.5", "0x1"],
  u64: ["", "-1", "01", "18446744073709551616", "1e3", "0x10"],
  hex32: ["", "0x1", "1", "00000001", "0X00000001", "0x0000000A", "0x000000001", "0xzzzzzzzz", "0x-0000001"],
  uuid: ["", "0123ABCD-EF01-4234-8567-89ABCDEF0123", "0123abcdef0142348567 89abcdef0123", "{0123abcd-ef01-4234-8567-89abcdef0123}", "0123abcd-ef01-4234-8567-89abcdef012"],
  semver: ["", "1.2", "1.2.3.4", "01.2.3", "256.0.0", "1.256.0", "a.b.c", "1.2.3-rc1", "-1.2.3"],
  enum: ["", "IDLE", "unknown", "idle ", "0"],
  bool: ["", "2", "true", "00", "-1"],
  string: ["a\nb", "x".repeat(257), "a\0b"],
};

describe("generated packages/sysfs-client/src/generated/attributes.ts", () => {
  const model = realModel();

  it("is what the emitter produces now, and type-checks under the strict tsconfig", () => {
    const [file] = emitClientAttributes(model, { specPath: "spec/registers.yaml" });
    const committed = readFileSync(join(REPO, CLIENT_ATTRIBUTES_PATH), "utf8");
    expect(committed).toBe(file!.content);
    expect(committed.startsWith("// Generated from spec/registers.yaml by packages/codegen (src/emit/emit-client-attributes.ts).\n")).toBe(true);
    expect(typeErrors({ [CLIENT_ATTRIBUTES_PATH]: committed })).toEqual([]);
  });

  it("lists every attribute in spec order with its mode, visibility and DRA mapping", () => {
    expect(gen.ATTRIBUTE_NAMES).toEqual(model.attributes.map((a) => a.name));
    for (const a of model.attributes) {
      const s = gen.ATTRIBUTES[a.name as gen.AttributeName];
      expect({ name: s.name, mode: s.mode, readable: s.readable, writable: s.writable, functions: s.functions, textFormat: s.textFormat }).toEqual({
        name: a.name,
        mode: a.mode,
        readable: a.readable,
        writable: a.writable,
        functions: a.functions,
        textFormat: a.format,
      });
    }
    expect(gen.ATTRIBUTES.memory_size.dra).toEqual({ kind: "capacity", name: "memory", alsoAttribute: "memory" });
    expect(gen.ATTRIBUTES.sriov_numvfs.functions).toBe("pf");
    expect(gen.ATTRIBUTES.passphrase_generate.mode).toBe(0o200);
  });

  it("parse(format(v)) === v for sample values of every attribute", () => {
    let checked = 0;
    for (const a of model.attributes) {
      const s = gen.ATTRIBUTES[a.name as gen.AttributeName] as unknown as { parse(t: string): unknown; format(v: unknown): string };
      const samples = a.valueType === "enum" ? [...gen.PASSPHRASE_STATUS_NAMES] : SAMPLES[a.valueType];
      for (const v of samples) {
        const text = s.format(v);
        expect(text.endsWith("\n"), `${a.name} format(${String(v)})`).toBe(true);
        expect(s.parse(text), `${a.name}: ${JSON.stringify(text)}`).toEqual(v);
        expect(s.parse(text.slice(0, -1)), `${a.name} without newline`).toEqual(v);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(model.attributes.length * 2);
  });

  it("formats exactly the text the kernel shows", () => {
    expect(gen.ATTRIBUTES.status.format(1)).toBe("0x00000001\n");
    expect(gen.ATTRIBUTES.capabilities.format(0xdeadbeef)).toBe("0xdeadbeef\n");
    expect(gen.ATTRIBUTES.memory_size.format(17179869184n)).toBe("17179869184\n");
    expect(gen.ATTRIBUTES.fw_version.format({ major: 1, minor: 2, patch: 0 })).toBe("1.2.0\n");
    expect(gen.ATTRIBUTES.uuid.format("0123ABCD-EF01-4234-8567-89ABCDEF0123")).toBe("0123abcd-ef01-4234-8567-89abcdef0123\n");
    expect(gen.ATTRIBUTES.wordlist_loaded.format(true)).toBe("1\n");
    expect(gen.ATTRIBUTES.numa_node.format(-1)).toBe("-1\n");
    expect(gen.ATTRIBUTES.passphrase_status.format("ready")).toBe("ready\n");
  });

  it("returns undefined for malformed text, never a silent 0", () => {
    for (const a of model.attributes) {
      const s = gen.ATTRIBUTES[a.name as gen.AttributeName] as unknown as { parse(t: string): unknown };
      const kind = a.format === "hex32" ? "hex32" : a.valueType;
      const bad = MALFORMED[kind]!;
      for (const text of bad) expect(s.parse(text), `${a.name} (${kind}) must reject ${JSON.stringify(text)}`).toBeUndefined();
    }
    // The types that matter most: u64 memory sizes are bigints, not rounded numbers.
    expect(gen.ATTRIBUTES.memory_size.parse("18446744073709551615\n")).toBe(18446744073709551615n);
  });

  it("schemas: writable attributes get the spec's write ranges; read-only ones their value type", () => {
    const ok = (n: gen.AttributeName, v: unknown) => Value.Check(gen.ATTRIBUTES[n].schema, v);
    expect([0, 1, 0xffffffff].map((v) => ok("status", v))).toEqual([true, true, true]);
    expect([-1, 0x100000000, 1.5].map((v) => ok("status", v))).toEqual([false, false, false]);
    // max names SRIOV_TOTAL_VFS: the static bound is its source's max (total_vfs <= 7).
    expect([0, 7].map((v) => ok("sriov_numvfs", v))).toEqual([true, true]);
    expect([-1, 8].map((v) => ok("sriov_numvfs", v))).toEqual([false, false]);
    expect([3, 4, 12, 13].map((v) => ok("passphrase_length", v))).toEqual([false, true, true, false]);
    expect([0, 1, 2].map((v) => ok("passphrase_generate", v))).toEqual([false, true, false]);
    expect([0, 1, 2].map((v) => ok("load_wordlist", v))).toEqual([false, true, false]);
    expect([0n, 16n << 30n].map((v) => ok("memory_size", v))).toEqual([true, true]);
    expect(ok("memory_size", 5)).toBe(false);
    expect([ "idle", "IDLE"].map((v) => ok("passphrase_status", v))).toEqual([true, false]);
    expect(ok("fw_version", { major: 1, minor: 2, patch: 0 })).toBe(true);
    expect(ok("fw_version", { major: 256, minor: 2, patch: 0 })).toBe(false);
    expect(ok("uuid", "0123abcd-ef01-4234-8567-89abcdef0123")).toBe(true);
    expect(ok("uuid", "nope")).toBe(false);
  });

  it("carries the spec's device name, PCI identity, SR-IOV layout and device_config defaults", () => {
    expect(gen.DEVICE_NAME).toBe(model.name);
    expect(gen.DEVICE_NAME).toBe("mock_accel");
    expect(gen.PCI_IDS).toEqual({
      vendorId: 0x1de5,
      pfDeviceId: 0x0001,
      vfDeviceId: 0x0002,
      classCode: 0x120000,
      revisionId: 0x01,
      subsystemVendorId: 0x0000,
      subsystemId: 0x0000,
    });
    expect(gen.SRIOV).toEqual({ maxTotalVfs: 7, firstVfOffset: 1, vfStride: 1 });
    expect(Object.keys(gen.DEVICE_CONFIG_DEFAULTS)).toEqual(model.deviceConfig.map((c) => c.name));
    expect(gen.DEVICE_CONFIG_DEFAULTS.memory_size).toEqual({ pf: 16n << 30n, vf: 2n << 30n });
    expect(gen.DEVICE_CONFIG_DEFAULTS.fw_version).toEqual({ pf: 0x00010200n, vf: 0x00010200n });
    expect(gen.DEVICE_CONFIG_DEFAULTS.uuid).toEqual({ pf: null, vf: null });
    expect(gen.DEVICE_CONFIG_DEFAULTS.vf_index).toEqual({ pf: 0xffffffffn, vf: 0xffffffffn });
  });

  it("reset: a constant register's reset as the attribute's value type; null for driver and sourced ones", () => {
    const resets = Object.fromEntries(gen.ATTRIBUTE_NAMES.map((n) => [n, gen.ATTRIBUTES[n].reset]));
    expect(resets).toEqual({
      uuid: null,
      memory_size: null,
      capabilities: null,
      status: 0,
      numa_node: null,
      fw_version: null,
      sriov_totalvfs: null,
      sriov_numvfs: null,
      vf_index: null,
      passphrase_length: 6,
      passphrase_generate: null,
      passphrase_status: "idle",
      passphrase_count: 0,
      passphrase: "",
      wordlist_loaded: null,
      wordlist_size: null,
      load_wordlist: null,
    });
    // Every non-null reset is a value the attribute can show.
    for (const n of gen.ATTRIBUTE_NAMES) {
      const s = gen.ATTRIBUTES[n] as unknown as { reset: unknown; parse(t: string): unknown; format(v: unknown): string };
      if (s.reset !== null) expect(s.parse(s.format(s.reset)), n).toEqual(s.reset);
    }
  });

  it("writeMaxAttribute names the attribute showing the register a write max names", () => {
    const bounded = gen.ATTRIBUTE_NAMES.filter((n) => gen.ATTRIBUTES[n].writeMaxAttribute !== null);
    expect(bounded).toEqual(["sriov_numvfs"]);
    // SRIOV_TOTAL_VFS has no register attribute; the driver's sriov_totalvfs matches by name.
    expect(gen.ATTRIBUTES.sriov_numvfs.writeMaxAttribute).toBe("sriov_totalvfs");
  });

  it("a field attribute parses only values its field can hold, and the client type-checks for other specs too", async () => {
    const loaded = loadSpecText(miniSpec(), "spec/mini.yaml");
    if (!loaded.ok) throw new Error("mini spec must load");
    const [file] = emitClientAttributes(loaded.model, { specPath: "spec/mini.yaml" });
    const path = "packages/sysfs-client/src/generated/mini-attributes-under-test.ts";
    expect(typeErrors({ [path]: file!.content })).toEqual([]);
    expect(file!.content).toContain("mode: {\n    name: \"mode\"");
    expect(file!.content).toContain("parse: (text) => parseU32(text, 3),");
    // count's write max names LIMIT, whose source `limit` has max 8.
    expect(file!.content).toContain("schema: Type.Integer({ minimum: 0, maximum: 8 }),");
    // Field and semver resets are cut from the register's reset; LIMIT is shown by no attribute.
    expect(file!.content).toContain("reset: { major: 1, minor: 2, patch: 3 },");
    expect(file!.content).toContain("reset: \"idle\",");
    expect(file!.content).not.toContain("writeMaxAttribute: \"");
    expect(file!.content).toContain("serial: { pf: 1n, vf: 2n },");
  });
});
