// `bun run bench --filter sysfs-client`: the Go client's benchmarks
// (clients/go/mockaccel/bench_test.go) on this package's bench topology, so the TypeScript and
// Go clients' numbers sit side by side.
import { spawnSync } from "node:child_process";
import os from "node:os";
import { join } from "node:path";
import type { BenchRow } from "../../../bench/run.ts";

const MODULE = join(import.meta.dirname, "../../../clients/go");

export default async function bench(): Promise<BenchRow[]> {
  const r = spawnSync("go", ["test", "-run", "^$", "-bench", ".", "-benchtime", "200x", "-count", "1", "./mockaccel"], {
    cwd: MODULE,
    encoding: "utf8",
    env: { ...process.env, GOWORK: "off" },
  });
  if (r.status !== 0) throw new Error(`go test -bench failed:\n${r.stdout}${r.stderr}`);
  // BenchmarkDiscover256-2   	     200	   4512345 ns/op
  const ns = new Map([...r.stdout.matchAll(/^Benchmark(\w+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns\/op/gm)].map((m) => [m[1]!, Number(m[2])]));
  const get = (name: string) => {
    const v = ns.get(name);
    if (v === undefined) throw new Error(`go test -bench printed no ${name}:\n${r.stdout}`);
    return v;
  };
  const load = `mean of 200; load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores`;
  return [
    { suite: "go-client", metric: "Discover() 256 devices, mean", value: get("Discover256") / 1e6, unit: "ms", aim: "< 50 ms", note: `32 PFs x 7 VFs on 4 NUMA nodes; ${load}` },
    { suite: "go-client", metric: "DRAAttributes() one PF, mean", value: get("DRAAttributesPF") / 1e3, unit: "µs", note: load },
    { suite: "go-client", metric: "MemorySize(), mean", value: get("MemorySize") / 1e3, unit: "µs", note: load },
  ];
}
