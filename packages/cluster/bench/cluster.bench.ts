// Kubernetes from source: how long the installer takes when everything is built (and, from the
// note the installer leaves, how long the last real build took), how fast the control plane
// starts and stops, and what each component holds in memory once ready.
import type { BenchRow } from "../../../bench/run.ts";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { findKubernetes, INSTALL_SCRIPT, installCommand, pinnedVersions, startControlPlane } from "../src/index.ts";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function rssMb(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

export default async function bench(): Promise<BenchRow[]> {
  const suite = "kubernetes";
  const found = findKubernetes();
  if (!found.ok) throw new Error(`${found.reason} (${installCommand()})`);
  const rows: BenchRow[] = [];
  const { kubernetes, helm } = pinnedVersions();

  const note = join(found.binaries.dir, ".build-time");
  if (existsSync(note)) {
    const fields = Object.fromEntries(readFileSync(note, "utf8").trim().split(/\s+/).map((kv) => kv.split("=") as [string, string]));
    const cold = Number(fields.gocache_mb_before ?? 0) < 100;
    rows.push({
      suite, metric: `install: last build of Kubernetes ${kubernetes} + etcd + Helm ${helm}`, value: Number(fields.seconds) / 60, unit: "min",
      note: `${cold ? "cold" : "partly warm"} Go build cache (${fields.gocache_mb_before} MB before), ${fields.cores} cores; recorded by the installer when it built`,
    });
  }
  const warm: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = spawnSync("bash", [INSTALL_SCRIPT], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`install-kubernetes.sh failed: ${r.stderr}`);
    warm.push(performance.now() - t0);
  }
  rows.push({ suite, metric: "install: already built (idempotent re-run)", value: median(warm), unit: "ms", note: "median of 3" });

  const starts: number[] = [];
  const stops: number[] = [];
  let rss: Record<string, number> = {};
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const plane = await startControlPlane();
    starts.push(performance.now() - t0);
    if (i === 0) rss = Object.fromEntries(plane.components.map((c) => [c.name, rssMb(c.pid)]));
    const t1 = performance.now();
    await plane.stop();
    stops.push(performance.now() - t1);
  }
  rows.push({ suite, metric: "control plane: start to ready (certificates, etcd, apiserver /readyz, controllers, default ServiceAccount)", value: median(starts) / 1000, unit: "s", note: `median of 3 (${starts.map((s) => (s / 1000).toFixed(1)).join(", ")})` });
  rows.push({ suite, metric: "control plane: stop (nothing left behind)", value: median(stops), unit: "ms", note: "median of 3" });
  for (const [name, mb] of Object.entries(rss)) rows.push({ suite, metric: `control plane: ${name} RSS when ready`, value: mb, unit: "MB" });
  return rows;
}
