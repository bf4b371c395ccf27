// docs/registers.md: one row per register and per sysfs attribute, in spec order, with the
// values people look up (offset, size, access, reset, mode, format, write rule); the same
// bytes from any process; table cells that cannot be broken by the spec's text.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { loadSpecFile } from "../src/load/load-spec.ts";
import { emitMarkdown } from "../src/emit/emit-markdown.ts";
import type { DeviceModel } from "../src/model/register-model.ts";
import { REPO_ROOT } from "./c/toolchain.ts";
import { generateElsewhere } from "./fixtures/emit-elsewhere.ts";

const loaded = loadSpecFile(join(REPO_ROOT, "spec/registers.yaml"));
if (!loaded.ok) throw new Error("spec/registers.yaml does not load");
const model: DeviceModel = loaded.model;
const ctx = { specPath: "spec/registers.yaml" };
const render = (m: DeviceModel): string => emitMarkdown(m, ctx)[0]!.content;

/** Rows of the first table after `heading`, as arrays of trimmed cells. */
function table(md: string, heading: string): string[][] {
  const start = md.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no heading ${heading}`);
  const lines = md.slice(start).split("\n");
  const first = lines.findIndex((l) => l.startsWith("|"));
  const rows: string[][] = [];
  for (const l of lines.slice(first + 2)) {
    if (!l.startsWith("|")) break;
    rows.push(l.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim()));
  }
  return rows;
}

describe("docs/registers.md", () => {
  test("the committed file is what the spec generates, banner first", () => {
    const committed = readFileSync(join(REPO_ROOT, "docs/registers.md"), "utf8");
    expect(committed).toBe(render(model));
    expect(committed.split("\n")[0]).toMatch(/^<!-- Generated from spec\/registers\.yaml by packages\/codegen .*Do not edit/);
  });

  test("the register map lists every register in offset order with offset, size, access and reset", () => {
    const rows = table(render(model), "## BAR0 register map");
    const regs = model.bars[0]!.registers;
    expect(rows.map((r) => r[2])).toEqual(regs.map((r) => `[\`${r.name}\`](#${r.name.toLowerCase()})`));
    const status = rows.find((r) => r[2]!.includes("`STATUS`"))!;
    expect(status.slice(0, 5)).toEqual(["`0x02c`", "4", "[`STATUS`](#status)", "RW", "`0x00000000`"]);
    const memory = rows.find((r) => r[2]!.includes("`MEMORY_SIZE`"))!;
    expect(memory.slice(0, 5)).toEqual(["`0x020`", "8", "[`MEMORY_SIZE`](#memory_size)", "RO", "device_config `memory_size`"]);
  });

  test("the sysfs reference lists every attribute with mode, format, functions and write rule", () => {
    const rows = table(render(model), "## sysfs attributes");
    expect(rows.map((r) => r[0])).toEqual(model.attributes.map((a) => `\`${a.name}\``));
    const byName = new Map(rows.map((r) => [r[0]!.slice(1, -1), r]));
    expect(byName.get("passphrase_length")!.slice(1, 6)).toEqual(["`0644`", "decimal", "PF, VF", "[`PASSPHRASE_LENGTH`](#passphrase_length)", "4..12"]);
    expect(byName.get("sriov_numvfs")!.slice(1, 6)).toEqual(["`0644`", "decimal", "PF only", "driver", "0..`SRIOV_TOTAL_VFS`"]);
    expect(byName.get("vf_index")![3]).toBe("VF only");
    expect(byName.get("memory_size")![6]).toBe("capacity `memory`; int attribute `memory`");
  });

  test("each register with fields or enum values gets its own table", () => {
    const md = render(model);
    expect(md).toContain("| 23:16 | `MAJOR` |  | `MOCK_ACCEL_FW_VERSION__MAJOR_bm` |");
    expect(md).toContain("| 2 | `READY` |  | `MOCK_ACCEL_PASSPHRASE_STATUS__READY` |");
  });

  test("the same bytes from another process, directory, time zone and locale", () => {
    const elsewhere = generateElsewhere(join(REPO_ROOT, "spec/registers.yaml")).find((f) => f.path === "docs/registers.md");
    expect(elsewhere?.content).toBe(render(model));
  });

  test("a description with | or <tags> cannot break a table row", () => {
    const m = structuredClone(model);
    m.attributes[0]!.description = "a | b <script> c\nd";
    const rows = table(render(m), "## sysfs attributes");
    expect(rows[0]!.length).toBe(8);
    expect(rows[0]![7]).toBe("a \\| b &lt;script&gt; c d");
  });
});
