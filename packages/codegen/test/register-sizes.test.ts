// Every register size the loader accepts (1, 2, 4 and 8 bytes, and 16 from the real spec) is
// one the emitters serve: the spec below adds 1- and 2-byte registers with every readable
// format they can carry, and 4- and 8-byte writable ones, to spec/registers.yaml. Its header
// and sysfs code compile (gcc -std=c11 over the kernel shim), and the generated show/store
// functions print and accept what the register holds. What the emitters cannot serve (writes
// to sub-word registers, ...) is refused by the loader with a position: validate-semantics.test.ts.
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { assertAvailable } from "@mock-accel/testkit";
import { formatSpecError, loadSpecText } from "../src/load/load-spec.ts";
import { generate } from "../src/generate.ts";
import { emitCHeader } from "../src/emit/emit-c-header.ts";
import { emitCSysfs } from "../src/emit/emit-c-sysfs.ts";
import { buildRoundtripHarness, C_DIR, diagnostics, gccReq, HarnessSession, kbuild, kernelReq, REPO_ROOT, run, sparseReq, tempDir, writeTree } from "./c/toolchain.ts";

const EINVAL = -22;

const REAL = readFileSync(join(REPO_ROOT, "spec/registers.yaml"), "utf8");

/** Replaces exactly one occurrence of `from` (fails loudly if the spec changed shape). */
function insertBefore(text: string, anchor: string, added: string): string {
  const i = text.indexOf(anchor);
  if (i < 0 || text.indexOf(anchor, i + 1) >= 0) throw new Error(`anchor ${JSON.stringify(anchor)} must occur exactly once`);
  return text.slice(0, i) + added + text.slice(i);
}

const REGISTERS = `      - name: TINY
        offset: 0x040
        size_bytes: 1
        access: RO
        reset: 0xA5
        fields:
          - { name: LOW, lsb: 0, width_bits: 4 }
          - { name: MID, lsb: 4, width_bits: 3 }
          - { name: FLAG, lsb: 7, width_bits: 1 }
      - name: TINY_MODE
        offset: 0x041
        size_bytes: 1
        access: RO
        reset: 0
        enum:
          - { name: IDLE, value: 0 }
          - { name: RUN, value: 1 }
      - name: HALF
        offset: 0x042
        size_bytes: 2
        access: RO
        reset: 0x1203
        fields:
          - { name: MAJOR, lsb: 12, width_bits: 4 }
          - { name: MINOR, lsb: 8, width_bits: 4 }
          - { name: PATCH, lsb: 0, width_bits: 8 }
      - name: WORD
        offset: 0x044
        size_bytes: 4
        access: RW
        reset: 1
      - name: WIDE
        offset: 0x048
        size_bytes: 8
        access: RW
        reset: 0

`;

const ATTRIBUTES = `
    - { name: tiny, source: { register: TINY }, format: decimal, mode: "0444", functions: all }
    - { name: tiny_hex, source: { register: TINY }, format: hex32, mode: "0444", functions: all }
    - { name: tiny_mid, source: { register: TINY, field: MID }, format: decimal, mode: "0444", functions: all }
    - { name: tiny_flag, source: { register: TINY, field: FLAG }, format: bool, mode: "0444", functions: all }
    - { name: tiny_mode, source: { register: TINY_MODE }, format: enum, mode: "0444", functions: all }
    - { name: half, source: { register: HALF }, format: decimal, mode: "0444", functions: all }
    - { name: half_version, source: { register: HALF }, format: semver, mode: "0444", functions: all }
    - { name: word, source: { register: WORD }, format: decimal, mode: "0644", functions: all, write: { min: 1, max: HALF } }
    - { name: wide, source: { register: WIDE }, format: decimal, mode: "0644", functions: all, write: { min: 0, max: 1099511627776 } }
`;

const SPEC = insertBefore(REAL, "      - name: PASSPHRASE_CMD\n", REGISTERS) + ATTRIBUTES;

const loaded = loadSpecText(SPEC, "spec/registers.yaml");
if (!loaded.ok) throw new Error(loaded.errors.map(formatSpecError).join("\n"));
const model = loaded.model;
const ctx = { specPath: "spec/registers.yaml" };

describe("1-, 2-, 4- and 8-byte registers", () => {
  test("every emitter serves the spec", () => {
    const files = generate(model, ctx);
    expect(files.map((f) => f.path)).toContain("packages/kernel-driver/src/mock_accel_sysfs.c");
    const header = files.find((f) => f.path.endsWith("mock_accel_regs.h"))!.content;
    expect(header).toMatch(/_Static_assert\(MOCK_ACCEL_TINY_MODE_OFFSET % 1U == 0U/);
    expect(header).toMatch(/_Static_assert\(MOCK_ACCEL_HALF_OFFSET % 2U == 0U/);
  });

  describe.skipIf(gccReq.skip)("generated C", () => {
    let dir = "";
    let bin = "";

    beforeAll(() => {
      assertAvailable(gccReq);
      dir = tempDir("register-sizes");
      writeTree(dir, [...emitCHeader(model, ctx), ...emitCSysfs(model, ctx)].map((f) => ({ ...f, path: f.path.replace("packages/kernel-driver/", "") })));
      bin = buildRoundtripHarness(dir, dir);
    });

    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test("the header and the sysfs code compile with gcc -std=c11", () => {
      const header = run("gcc", ["-std=c11", "-pedantic", "-Wall", "-Wextra", "-Werror", "-fsyntax-only", "-x", "c", join(dir, "include/mock_accel_regs.h")]);
      expect(header.status, header.stderr).toBe(0);
      const sysfs = run("gcc", [
        "-std=c11", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter", "-fsyntax-only",
        `-I${join(C_DIR, "shim/include")}`, `-I${join(C_DIR, "shim")}`, `-I${join(dir, "src")}`,
        join(dir, "src/mock_accel_sysfs.c"),
      ]);
      expect(sysfs.status, sysfs.stderr).toBe(0);
    });

    test("shows read sub-word registers from their aligned word, with 32-bit accesses only", () => {
      const s = new HarnessSession(bin);
      // TINY=0xa5, TINY_MODE=1, HALF=0x1203: one 32-bit word, each register its own bytes.
      s.set(0x40, Uint8Array.from([0xa5, 0x01, 0x03, 0x12]));
      const shows = Object.fromEntries(["tiny", "tiny_hex", "tiny_mid", "tiny_flag", "tiny_mode", "half", "half_version"].map((n) => [n, s.show(n)]));
      s.run();
      const text = Object.fromEntries(Object.entries(shows).map(([n, r]) => [n, r.result!.text]));
      expect(text).toEqual({
        tiny: "165\n",
        tiny_hex: "0x000000a5\n",
        tiny_mid: "2\n",
        tiny_flag: "1\n",
        tiny_mode: "run\n",
        half: "4611\n",
        half_version: "1.2.3\n",
      });
      for (const r of Object.values(shows)) expect(r.result!.badAccesses).toBe(0);
    });

    test("a write bound read from a 2-byte register, and 8-byte writes", () => {
      const s = new HarnessSession(bin);
      s.set(0x40, Uint8Array.from([0xff, 0xff, 0x05, 0x00])); // HALF = 5, neighbours all ones
      const ok = s.store("word", "5");
      const above = s.store("word", "6");
      const wide = s.store("wide", "1099511627776");
      const wideBytes = s.dump(0x48, 8);
      s.run();
      expect(ok.result!.ret).toBe(1);
      expect(above.result!.ret).toBe(EINVAL);
      expect(above.result!.changed).toBe(false);
      expect(wide.result!.ret).toBe(13);
      expect([...wideBytes.bytes!]).toEqual([0, 0, 0, 0, 0, 1, 0, 0]);
    });
  });

  test.skipIf(kernelReq.skip || sparseReq.skip)("the sysfs code builds as a kernel module with W=1 and sparse (C=2) clean", () => {
    assertAvailable(kernelReq);
    assertAvailable(sparseReq);
    const tree = tempDir("register-sizes-kbuild");
    writeTree(tree, [...emitCHeader(model, ctx), ...emitCSysfs(model, ctx)]);
    const r = kbuild(join(tree, "packages/kernel-driver"), ["W=1", "C=2"]);
    try {
      const out = r.stdout + r.stderr;
      expect(r.status, out).toBe(0);
      expect(out).toMatch(/CHECK\s+\S*mock_accel_sysfs\.c/);
      expect(diagnostics(out)).toEqual([]);
    } finally {
      rmSync(r.dir, { recursive: true, force: true });
      rmSync(tree, { recursive: true, force: true });
    }
  });
});
