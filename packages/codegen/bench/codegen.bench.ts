// Codegen time for the real spec and a synthetic 1,000-register spec (in-process: load,
// validate and run every emitter; median of several runs), and a cached `turbo build`.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchRow } from "../../../bench/run.ts";
import { loadSpecFile } from "../src/load/load-spec.ts";
import { generate } from "../src/generate.ts";
import { syntheticSpec } from "./synthetic-spec.ts";

const REPO = fileURLToPath(new URL("../../..", import.meta.url));
const SUITE = "codegen";

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Load + validate + generate every file; returns milliseconds. */
function codegenOnce(specFile: string): { ms: number; files: number; bytes: number } {
  const started = performance.now();
  const loaded = loadSpecFile(specFile, "spec/registers.yaml");
  if (!loaded.ok) throw new Error(`${specFile}: ${loaded.errors.length} spec error(s), first: ${loaded.errors[0]?.message}`);
  const files = generate(loaded.model, { specPath: "spec/registers.yaml" });
  return { ms: performance.now() - started, files: files.length, bytes: files.reduce((n, f) => n + f.content.length, 0) };
}

function timeCodegen(specFile: string, runs: number): { first: number; median: number; min: number; files: number; bytes: number } {
  const first = codegenOnce(specFile);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(codegenOnce(specFile).ms);
  return { first: first.ms, median: median(times), min: Math.min(...times), files: first.files, bytes: first.bytes };
}

/** The machine is shared; a number measured at load average 15 on 2 cores is not the tool's speed. */
const load = () => `load avg ${loadavg()[0]!.toFixed(1)}`;

async function runBuild(): Promise<{ ok: boolean; ms: number; tail: string; cached: string }> {
  const started = performance.now();
  const proc = Bun.spawn(["bun", "run", "build"], { cwd: REPO, stdout: "pipe", stderr: "pipe", env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1" } });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  const ms = performance.now() - started;
  const tail = `${out}\n${err}`.trim().split("\n").slice(-3).join(" | ");
  // "Cached:    3 cached, 3 total": in a checkout others edit, a miss means inputs changed.
  const cached = /Cached:\s+(\d+ cached, \d+ total)/.exec(out)?.[1] ?? "cache summary not found";
  return { ok: code === 0, ms, tail, cached };
}

export default async (): Promise<BenchRow[]> => {
  const rows: BenchRow[] = [];

  const real = timeCodegen(join(REPO, "spec/registers.yaml"), 9);
  rows.push({
    suite: SUITE,
    metric: "real spec: load + validate + generate (median of 9)",
    value: real.median,
    unit: "ms",
    aim: "< 300 ms",
    note: `${real.files} files, ${real.bytes} bytes; fastest ${real.min.toFixed(0)} ms; first run in process ${real.first.toFixed(0)} ms; ${load()}`,
  });

  const dir = mkdtempSync(join(tmpdir(), "codegen-bench-"));
  try {
    const synth = join(dir, "registers-1000.yaml");
    writeFileSync(synth, syntheticSpec(1000));
    const big = timeCodegen(synth, 5);
    rows.push({
      suite: SUITE,
      metric: "1,000 registers + 1,000 attributes: load + validate + generate (median of 5)",
      value: big.median,
      unit: "ms",
      aim: "< 2000 ms",
      note: `${big.files} files, ${big.bytes} bytes; fastest ${big.min.toFixed(0)} ms; ${load()}`,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const warm = await runBuild();
  if (!warm.ok) {
    rows.push({ suite: SUITE, metric: "turbo build, everything cached", value: Number.NaN, unit: "ms", aim: "< 2000 ms", note: `error: warm-up \`bun run build\` failed: ${warm.tail}` });
  } else {
    // Others edit this checkout while the bench runs; a run with a cache miss measured their
    // change, not the cache. Take the fastest fully cached run of a few.
    const tries: Awaited<ReturnType<typeof runBuild>>[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await runBuild();
      tries.push(r);
      if (!r.ok) break;
    }
    // A package whose build says `"cache": false` (apps/dra-driver: helm package) runs every time.
    const uncacheable = [...new Bun.Glob("{packages,apps}/*/turbo.json").scanSync({ cwd: REPO })]
      .filter((f) => /"build":\s*\{[^}]*"cache":\s*false/.test(readFileSync(join(REPO, f), "utf8"))).length;
    const fullyCached = (summary: string) => {
      const m = /^(\d+) cached, (\d+) total$/.exec(summary);
      return m !== null && Number(m[1]) === Number(m[2]) - uncacheable;
    };
    const full = tries.filter((r) => r.ok && fullyCached(r.cached));
    const best = full.sort((a, b) => a.ms - b.ms)[0];
    const last = tries[tries.length - 1]!;
    rows.push({
      suite: SUITE,
      metric: "turbo build, everything cached (bun run build)",
      value: best ? best.ms : Number.NaN,
      unit: "ms",
      aim: "< 2000 ms",
      note: best
        ? `turbo: ${best.cached}; fastest of ${tries.length}; warm-up build ${warm.ms.toFixed(0)} ms; ${load()}`
        : `error: no fully cached run of ${tries.length} (last: ${last.ok ? `turbo ${last.cached}` : `failed: ${last.tail}`})`,
    });
  }
  return rows;
};
