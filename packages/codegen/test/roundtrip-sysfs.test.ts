// The text the generated C show functions print parses back, in the typed sysfs client, to
// the value the register holds; and the client's own rendering of that value is the very
// same text. The C runs in userspace over a small kernel shim (test/c/shim): BAR0 is a byte
// array, so each case sets register bytes at the TS table's offsets, calls the real show or
// store, and compares. Stores: the client's text for a valid value is accepted and lands in
// the register; bad input is -EINVAL with no register written.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { assertAvailable } from "@mock-accel/testkit";
import { loadSpecFile } from "../src/load/load-spec.ts";
import type { DeviceModel, SysfsAttributeModel } from "../src/model/register-model.ts";
import { ATTRIBUTES, type AttributeName } from "../../sysfs-client/src/generated/attributes.ts";
import { uuidToCanonical } from "@mock-accel/sysfs-client/device-uuid";
import { REG, type RegisterName } from "../../server/src/generated/registers.ts";
import { buildRoundtripHarness, gccReq, HarnessSession, KERNEL_DRIVER, REPO_ROOT, tempDir } from "./c/toolchain.ts";

const EINVAL = -22;

const loaded = loadSpecFile(join(REPO_ROOT, "spec/registers.yaml"));
if (!loaded.ok) throw new Error("spec/registers.yaml does not load");
const model: DeviceModel = loaded.model;

const registerBacked = model.attributes.filter((a) => a.source.kind === "register");
const readable = registerBacked.filter((a) => a.readable);
const writable = registerBacked.filter((a) => a.writable);

function regOf(a: SysfsAttributeModel) {
  if (a.source.kind !== "register") throw new Error(`${a.name} is not register-backed`);
  return REG[a.source.register as RegisterName];
}

function le(value: bigint, sizeBytes: number): Uint8Array {
  const out = new Uint8Array(sizeBytes);
  for (let i = 0; i < sizeBytes; i++) out[i] = Number((value >> BigInt(8 * i)) & 0xffn);
  return out;
}

function fromLe(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

/** Deterministic filler, so failures reproduce. */
function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

interface ShowCase {
  label: string;
  bytes: Uint8Array;
  /** What the client must parse the text to; undefined when the client must refuse it. */
  expected: unknown;
  /** Exact text, when the case pins it (e.g. "unknown\n"). */
  text?: string;
}

function showCases(a: SysfsAttributeModel): ShowCase[] {
  const reg = regOf(a);
  const size = reg.sizeBytes;
  const field = a.source.kind === "register" && a.source.field !== null ? reg.fields.find((f) => a.source.kind === "register" && f.name === a.source.field)! : null;
  const word = (v: bigint): Uint8Array => le(v, size);
  switch (a.format) {
    case "uuid": {
      const seq = Uint8Array.from({ length: 16 }, (_, i) => i * 17);
      return [seq, pattern(16, 7), new Uint8Array(16).fill(0xff), new Uint8Array(16)].map((b, i) => ({ label: `uuid #${i}`, bytes: b, expected: uuidToCanonical(b) }));
    }
    case "string": {
      const text = (s: string): Uint8Array => {
        const b = new Uint8Array(size);
        b.set(Buffer.from(s, "latin1").subarray(0, size));
        return b;
      };
      const words = "correct horse battery staple";
      const full = "w".repeat(size - 1);
      const afterNul = text("abc");
      afterNul.set(Buffer.from("garbage"), 8); // bytes after the NUL are not shown
      return [
        { label: "words", bytes: text(words), expected: words },
        { label: "empty", bytes: text(""), expected: "" },
        { label: `${size - 1} characters`, bytes: text(full), expected: full },
        { label: "stops at the first NUL", bytes: afterNul, expected: "abc" },
      ];
    }
    case "semver": {
      const v = (major: number, minor: number, patch: number, extra = 0n): ShowCase => ({
        label: `${major}.${minor}.${patch}${extra ? " with high bits set" : ""}`,
        bytes: word((BigInt(major) << 16n) | (BigInt(minor) << 8n) | BigInt(patch) | extra),
        expected: { major, minor, patch },
      });
      return [v(1, 2, 0), v(0, 0, 0), v(255, 255, 255), v(10, 0, 7, 0xff000000n)];
    }
    case "enum": {
      const cases: ShowCase[] = reg.enumValues.map((e) => ({ label: e.name, bytes: word(e.value), expected: e.name.toLowerCase() }));
      const unlisted = reg.enumValues.reduce((m, e) => (e.value > m ? e.value : m), 0n) + 1n;
      cases.push({ label: "a value the spec does not list", bytes: word(unlisted), expected: undefined, text: "unknown\n" });
      return cases;
    }
    default: {
      const max = field ? (1n << BigInt(field.widthBits)) - 1n : (1n << BigInt(8 * size)) - 1n;
      const values = [...new Set([0n, 1n, 6n, max >> 1n, max])];
      const asClient = (v: bigint): unknown => (a.format === "bool" ? v !== 0n : a.valueType === "u64" ? v : Number(v));
      return values.map((v) => {
        // A field: surround it with set bits, which the show must mask off.
        const raw = field ? ((v << BigInt(field.lsb)) | (~field.mask & ((1n << BigInt(8 * size)) - 1n))) : v;
        return { label: `${v}`, bytes: word(raw), expected: asClient(v) };
      });
    }
  }
}

interface StoreCase {
  label: string;
  text: string;
  /** Register value after the store, or null when the store must be refused. */
  expected: bigint | null;
}

function storeCases(a: SysfsAttributeModel): { good: StoreCase[]; bad: StoreCase[]; maxRegister: { name: RegisterName; value: bigint } | null } {
  const reg = regOf(a);
  const width = 8n * BigInt(reg.sizeBytes);
  const all = (1n << width) - 1n;
  const spec = ATTRIBUTES[a.name as AttributeName] as { format(v: unknown): string };
  const clientValue = (v: bigint): unknown => (a.valueType === "u64" ? v : Number(v));
  const good = (v: bigint, label = `${v}`): StoreCase => ({ label: `client text for ${label}`, text: spec.format(clientValue(v)), expected: v });
  const raw = (text: string, expected: bigint | null, label = JSON.stringify(text)): StoreCase => ({ label, text, expected });
  const bad: StoreCase[] = ["", "\n", "abc", "-1", "1 2", " 5", "5x", "0x", (all + 1n).toString()].map((t) => raw(t, null));
  const goods: StoreCase[] = [];
  let maxRegister: { name: RegisterName; value: bigint } | null = null;
  const w = a.write;
  if (w?.kind === "range") {
    let max: bigint;
    if (typeof w.max === "bigint") max = w.max;
    else {
      // The bound is read from the named register when the store runs.
      max = 3n;
      maxRegister = { name: w.max.register as RegisterName, value: max };
    }
    goods.push(good(w.min), good(max));
    if (max - w.min > 1n) goods.push(good((w.min + max) / 2n));
    if (w.min > 0n) bad.push(raw(`${w.min - 1n}`, null, `below the range (${w.min - 1n})`));
    bad.push(raw(`${max + 1n}`, null, `above the range (${max + 1n})`));
  } else {
    goods.push(good(0n), good(1n), good(0xdeadbeefn & all), good(all));
    if (w?.kind === "parse-u32") {
      goods.push(raw("0x1f\n", 0x1fn), raw("017", 0o17n), raw("+42", 42n), raw("4294967295\n", 0xffffffffn));
    }
  }
  return { good: goods, bad, maxRegister };
}

describe.skipIf(gccReq.skip)("sysfs text round trip: C show/store <-> typed client", () => {
  let dir = "";
  let bin = "";

  beforeAll(() => {
    if (gccReq.skip) return;
    assertAvailable(gccReq);
    dir = tempDir("roundtrip");
    bin = buildRoundtripHarness(KERNEL_DRIVER, dir);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("the spec has register-backed attributes of every readable format", () => {
    expect(new Set(readable.map((a) => a.format))).toEqual(new Set(["uuid", "decimal", "hex32", "semver", "enum", "string"]));
  });

  test("probe reads each constant register once, word by word; their attributes show the probe-time value, live ones the current one", () => {
    const cached = readable.filter((a) => a.cachedAtProbe);
    const live = readable.filter((a) => !a.cachedAtProbe);
    expect(cached.map((a) => a.name).sort()).toEqual(["capabilities", "fw_version", "memory_size", "uuid"]);
    expect(live.map((a) => a.name)).toContain("status");
    const cachedRegs = new Set(cached.map((a) => regOf(a)));
    const session = new HarnessSession(bin);
    const all = readable.map((a) => regOf(a));
    for (const reg of all) session.set(reg.offsetBytes, pattern(reg.sizeBytes, reg.offsetBytes + 1));
    const filled = session.probe();
    const atProbe = readable.map((a) => session.show(a.name));
    // The device changes every register after probe.
    for (const reg of all) session.set(reg.offsetBytes, pattern(reg.sizeBytes, reg.offsetBytes + 2));
    const later = readable.map((a) => session.show(a.name));
    const again = session.probe();
    const reprobed = readable.map((a) => session.show(a.name));
    session.run();
    const words = [...cachedRegs].reduce((n, reg) => n + reg.sizeBytes / 4, 0);
    expect(filled.reads).toBe(words);
    expect(again.reads).toBe(words);
    readable.forEach((a, i) => {
      const [p, l, r] = [atProbe[i]!.result!, later[i]!.result!, reprobed[i]!.result!];
      if (a.cachedAtProbe) {
        expect(l.text, a.name).toBe(p.text);
        expect(l.reads, a.name).toBe(0);
        expect(r.text, a.name).not.toBe(p.text);
      } else {
        expect(l.reads, a.name).toBeGreaterThan(0);
        expect(r.text, a.name).toBe(l.text);
      }
    });
  });

  test.each(readable.map((a) => [a.name, a] as const))("%s: the C text parses back to the register's value", (_name, a) => {
    const reg = regOf(a);
    const session = new HarnessSession(bin);
    const cases = showCases(a).map((c) => {
      session.set(reg.offsetBytes, c.bytes);
      // What a rebind does: a constant register changes only between probes.
      if (a.cachedAtProbe) session.probe();
      return { c, shown: session.show(a.name) };
    });
    session.run();
    const spec = ATTRIBUTES[a.name as AttributeName] as { parse(t: string): unknown; format(v: unknown): string };
    for (const { c, shown } of cases) {
      const r = shown.result!;
      const where = `${a.name} ${c.label}: ${JSON.stringify(r.text)}`;
      expect(r.ret, where).toBe(Buffer.byteLength(r.text, "latin1"));
      expect(r.text.endsWith("\n"), where).toBe(true);
      // 32-bit reads only: one per word of the register (none when read at probe), nothing written.
      const reads = a.cachedAtProbe ? 0 : Math.ceil(reg.sizeBytes / 4);
      expect({ reads: r.reads, writes: r.writes, bad: r.badAccesses }, where).toEqual({ reads, writes: 0, bad: 0 });
      if (c.text !== undefined) expect(r.text, where).toBe(c.text);
      expect(spec.parse(r.text), where).toEqual(c.expected);
      if (c.expected !== undefined) expect(spec.format(c.expected), where).toBe(r.text);
    }
  });

  test.each(writable.map((a) => [a.name, a] as const))("%s: stores accept the client's text and refuse bad input with -EINVAL", (_name, a) => {
    const reg = regOf(a);
    const { good, bad, maxRegister } = storeCases(a);
    const session = new HarnessSession(bin);
    if (maxRegister) session.set(REG[maxRegister.name].offsetBytes, le(maxRegister.value, REG[maxRegister.name].sizeBytes));
    const sentinel = le(0xa5a5a5a5a5a5a5a5n, reg.sizeBytes);
    const goodRuns = good.map((c) => {
      session.set(reg.offsetBytes, sentinel);
      const stored = session.store(a.name, c.text);
      const after = session.dump(reg.offsetBytes, reg.sizeBytes);
      const shown = a.readable ? session.show(a.name) : null;
      return { c, stored, after, shown };
    });
    const badRuns = bad.map((c) => {
      session.set(reg.offsetBytes, sentinel);
      return { c, stored: session.store(a.name, c.text) };
    });
    session.run();
    for (const { c, stored, after, shown } of goodRuns) {
      const where = `${a.name} <- ${JSON.stringify(c.text)} (${c.label})`;
      expect(stored.result!.ret, where).toBe(Buffer.byteLength(c.text, "latin1"));
      expect(stored.result!.badAccesses, where).toBe(0);
      expect(fromLe(after.bytes!), where).toBe(c.expected);
      // What the client wrote, read back, is what the client would have written.
      if (shown && c.label.startsWith("client text")) expect(shown.result!.text, where).toBe(c.text);
    }
    for (const { c, stored } of badRuns) {
      const where = `${a.name} <- ${JSON.stringify(c.text)} (${c.label})`;
      expect({ ret: stored.result!.ret, writes: stored.result!.writes, changed: stored.result!.changed }, where).toEqual({ ret: EINVAL, writes: 0, changed: false });
    }
  });

  test("is_visible hides PF-only attributes on VFs and VF-only attributes on PFs", () => {
    const session = new HarnessSession(bin);
    const rows = model.attributes.map((a) => {
      session.vf(false);
      const pf = session.visible(a.name);
      session.vf(true);
      const vf = session.visible(a.name);
      return { a, pf, vf };
    });
    session.run();
    for (const { a, pf, vf } of rows) {
      const spec = ATTRIBUTES[a.name as AttributeName];
      expect({ name: a.name, pf: pf.mode, vf: vf.mode }).toEqual({
        name: a.name,
        pf: spec.functions === "vf" ? 0 : spec.mode,
        vf: spec.functions === "pf" ? 0 : spec.mode,
      });
    }
  });
});
