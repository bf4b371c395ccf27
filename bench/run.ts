#!/usr/bin/env bun
// `bun run bench`: runs every `packages/*/bench/*.bench.ts` and `apps/*/bench/*.bench.ts`,
// prints one table and writes bench/results.json. Each bench module default-exports an async
// function returning BenchRow[]. Numbers live here, never in test assertions.
import { Glob } from "bun";
import { writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";

export interface BenchRow {
  suite: string;
  metric: string;
  value: number;
  unit: string;
  /** The aim, as text, e.g. "< 300 ms". */
  aim?: string;
  note?: string;
}

const root = join(import.meta.dir, "..");
const { values } = parseArgs({ args: Bun.argv.slice(2), options: { filter: { type: "string" } }, allowPositionals: true });

const files: string[] = [];
for (const pattern of ["packages/*/bench/*.bench.ts", "apps/*/bench/*.bench.ts"]) {
  for await (const f of new Glob(pattern).scan({ cwd: root })) files.push(f);
}
files.sort();
const rows: BenchRow[] = [];
const errors: string[] = [];
for (const file of files) {
  if (values.filter && !file.includes(values.filter)) continue;
  console.error(`[bench] ${file} ...`);
  const started = performance.now();
  try {
    const mod = (await import(join(root, file))) as { default: () => Promise<BenchRow[]> };
    const got = await mod.default();
    rows.push(...got);
    console.error(`[bench] ${file} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } catch (err) {
    errors.push(`${relative(root, join(root, file))}: ${err instanceof Error ? err.message : String(err)}`);
    console.error(`[bench] ${file} FAILED: ${err instanceof Error ? err.stack : String(err)}`);
  }
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3));
const table = rows.map((r) => [r.suite, r.metric, `${fmt(r.value)} ${r.unit}`, r.aim ?? "", r.note ?? ""]);
const header = ["suite", "metric", "value", "aim", "note"];
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
console.log(line(header));
console.log(widths.map((w) => "-".repeat(w)).join("  "));
for (const row of table) console.log(line(row));
writeFileSync(
  join(root, "bench/results.json"),
  `${JSON.stringify({ date: new Date().toISOString(), bun: Bun.version, rows, errors }, null, 2)}\n`,
);
if (errors.length > 0) {
  console.log(`\n${errors.length} bench module(s) failed:`);
  for (const e of errors) console.log(`  ${e}`);
  process.exit(1);
}
