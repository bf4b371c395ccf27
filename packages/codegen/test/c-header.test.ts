// The generated C header and the generated TypeScript register table agree: a C program
// compiled with the header (gcc -Wall -Wextra -Werror -std=c11) prints every offset, size,
// reset value, field mask/position/width and enum value as JSON, and each one must equal
// the TS table's. Then the header's own _Static_asserts are shown to catch a broken layout.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { assertAvailable } from "@mock-accel/testkit";
import { loadSpecFile } from "../src/load/load-spec.ts";
import { emitCHeader } from "../src/emit/emit-c-header.ts";
import { gccReq, KERNEL_DRIVER, REPO_ROOT, run, tempDir } from "./c/toolchain.ts";
import { writeFileSync } from "node:fs";

const HEADER = join(KERNEL_DRIVER, "include/mock_accel_regs.h");
const REGISTERS_TS = join(REPO_ROOT, "packages/server/src/generated/registers.ts");
const P = "MOCK_ACCEL";

type RegisterTable = typeof import("../../server/src/generated/registers.ts");

async function registerTable(): Promise<RegisterTable> {
  if (!existsSync(REGISTERS_TS)) throw new Error(`${REGISTERS_TS} is missing: run \`bun run codegen\``);
  return (await import(REGISTERS_TS)) as RegisterTable;
}

/** A C program printing `{"NAME": "decimal value", ...}` for every macro the TS table implies. */
function jsonProgram(table: RegisterTable): string {
  const lines: string[] = [];
  const print = (macro: string, optional = false): void => {
    const stmt = `\tprintf("%s\\"${macro}\\": \\"%llu\\"", sep, (unsigned long long)(${macro})); sep = ", ";`;
    lines.push(optional ? `#ifdef ${macro}\n${stmt}\n#endif` : stmt);
  };
  for (const m of ["PCI_VENDOR_ID", "PCI_PF_DEVICE_ID", "PCI_VF_DEVICE_ID", "PCI_CLASS_CODE", "PCI_REVISION_ID",
    "PCI_SUBSYSTEM_VENDOR_ID", "PCI_SUBSYSTEM_ID", "SRIOV_CAPABILITY_OFFSET", "SRIOV_MAX_TOTAL_VFS",
    "SRIOV_FIRST_VF_OFFSET", "SRIOV_VF_STRIDE", "BAR0_SIZE"]) print(`${P}_${m}`);
  for (const r of table.REGISTERS) {
    print(`${P}_${r.name}_OFFSET`);
    print(`${P}_${r.name}_SIZE`);
    // Present only for constant resets; the JSON then shows whether the header has it.
    print(`${P}_${r.name}_RESET`, true);
    if (r.writeRange) {
      print(`${P}_${r.name}_WRITE_MIN`);
      if (typeof r.writeRange.max === "bigint") print(`${P}_${r.name}_WRITE_MAX`);
    }
    for (const f of r.fields) for (const s of ["bm", "bp", "bw"]) print(`${P}_${r.name}__${f.name}_${s}`);
    for (const e of r.enumValues) print(`${P}_${r.name}__${e.name}`);
  }
  return [
    "#include <stdio.h>",
    '#include "mock_accel_regs.h"',
    "int main(void)",
    "{",
    '\tconst char *sep = "";',
    '\tprintf("{");',
    ...lines,
    '\tprintf("}\\n");',
    "\treturn 0;",
    "}",
    "",
  ].join("\n");
}

/** Compiles `source` against the header in `includeDir`; returns status and compiler output. */
function compileAndRun(includeDir: string, source: string): { status: number | null; output: string; stdout: string } {
  const dir = tempDir("c-header");
  try {
    writeFileSync(join(dir, "prog.c"), source);
    const cc = run("gcc", ["-Wall", "-Wextra", "-Werror", "-std=c11", "-pedantic", `-I${includeDir}`, "-o", join(dir, "prog"), join(dir, "prog.c")]);
    if (cc.status !== 0) return { status: cc.status, output: cc.stderr, stdout: "" };
    const r = run(join(dir, "prog"), []);
    return { status: r.status, output: r.stderr, stdout: r.stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(gccReq.skip)("mock_accel_regs.h against the TS register table", () => {
  test("every offset, size, reset, field and enum value the C header gives equals the TS table's", async () => {
    assertAvailable(gccReq);
    const table = await registerTable();
    const r = compileAndRun(join(KERNEL_DRIVER, "include"), jsonProgram(table));
    expect(r.status, r.output).toBe(0);
    const c = JSON.parse(r.stdout) as Record<string, string>;
    const expected: Record<string, string> = {
      [`${P}_PCI_VENDOR_ID`]: String(table.PCI.vendorId),
      [`${P}_PCI_PF_DEVICE_ID`]: String(table.PCI.pfDeviceId),
      [`${P}_PCI_VF_DEVICE_ID`]: String(table.PCI.vfDeviceId),
      [`${P}_PCI_CLASS_CODE`]: String(table.PCI.classCode),
      [`${P}_PCI_REVISION_ID`]: String(table.PCI.revisionId),
      [`${P}_PCI_SUBSYSTEM_VENDOR_ID`]: String(table.PCI.subsystemVendorId),
      [`${P}_PCI_SUBSYSTEM_ID`]: String(table.PCI.subsystemId),
      [`${P}_SRIOV_CAPABILITY_OFFSET`]: String(table.PCI.sriov.capabilityOffset),
      [`${P}_SRIOV_MAX_TOTAL_VFS`]: String(table.PCI.sriov.maxTotalVfs),
      [`${P}_SRIOV_FIRST_VF_OFFSET`]: String(table.PCI.sriov.firstVfOffset),
      [`${P}_SRIOV_VF_STRIDE`]: String(table.PCI.sriov.vfStride),
      [`${P}_BAR0_SIZE`]: String(table.BAR0_SIZE_BYTES),
    };
    for (const reg of table.REGISTERS) {
      expected[`${P}_${reg.name}_OFFSET`] = String(reg.offsetBytes);
      expected[`${P}_${reg.name}_SIZE`] = String(reg.sizeBytes);
      if (reg.resetValue !== null) expected[`${P}_${reg.name}_RESET`] = String(reg.resetValue);
      if (reg.writeRange) {
        expected[`${P}_${reg.name}_WRITE_MIN`] = String(reg.writeRange.min);
        if (typeof reg.writeRange.max === "bigint") expected[`${P}_${reg.name}_WRITE_MAX`] = String(reg.writeRange.max);
      }
      for (const f of reg.fields) {
        expected[`${P}_${reg.name}__${f.name}_bm`] = String(f.mask);
        expected[`${P}_${reg.name}__${f.name}_bp`] = String(f.lsb);
        expected[`${P}_${reg.name}__${f.name}_bw`] = String(f.widthBits);
      }
      for (const e of reg.enumValues) expected[`${P}_${reg.name}__${e.name}`] = String(e.value);
    }
    expect(c).toEqual(expected);
  });

  test("the header defines no register the TS table lacks", async () => {
    assertAvailable(gccReq);
    const table = await registerTable();
    const header = readFileSync(HEADER, "utf8");
    const inHeader = [...header.matchAll(/^#define MOCK_ACCEL_(\w+)_OFFSET\b/gm)].map((m) => m[1]).filter((n) => n !== "SRIOV_CAPABILITY" && n !== "SRIOV_FIRST_VF");
    expect(inHeader).toEqual(table.REGISTERS.map((r) => r.name));
  });

  test("the header compiles in a kernel-less C11 program with -pedantic and carries the do-not-edit banner", () => {
    assertAvailable(gccReq);
    const header = readFileSync(HEADER, "utf8");
    expect(header).toMatch(/Generated from spec\/registers\.yaml by packages\/codegen \(template c-header\.h\.hbs\)/);
    expect(header).toMatch(/Do not edit/);
    expect(header).toMatch(/^#ifndef MOCK_ACCEL_REGS_H\n#define MOCK_ACCEL_REGS_H$/m);
    // Included twice: the guard must make the second one a no-op.
    const r = compileAndRun(join(KERNEL_DRIVER, "include"), '#include "mock_accel_regs.h"\n#include "mock_accel_regs.h"\nint main(void) { return (int)MOCK_ACCEL_STATUS__ALLOCATED_bm - 1; }\n');
    expect(r.status, r.output).toBe(0);
  });

  test("a register moved outside BAR0 trips the header's _Static_assert", () => {
    assertAvailable(gccReq);
    // The loader refuses such a spec; the header checks again wherever it is compiled.
    const loaded = loadSpecFile(join(REPO_ROOT, "spec/registers.yaml"));
    if (!loaded.ok) throw new Error("spec does not load");
    const model = structuredClone(loaded.model);
    const last = model.bars[0]!.registers.at(-1)!;
    last.offsetBytes = model.bars[0]!.sizeBytes - 4;
    const [header] = emitCHeader(model, { specPath: "spec/registers.yaml" });
    const dir = tempDir("c-header-bad");
    try {
      writeFileSync(join(dir, "mock_accel_regs.h"), header!.content);
      const r = compileAndRun(dir, '#include "mock_accel_regs.h"\nint main(void) { return 0; }\n');
      expect(r.status).not.toBe(0);
      expect(r.output).toMatch(new RegExp(`${last.name} is 32-bit aligned and inside BAR0`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
