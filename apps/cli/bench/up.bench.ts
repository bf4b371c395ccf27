// `up` of the old project's 12-device two-VM cluster: time until every socket is listening and
// the RSS of the one process serving them, against 12 separate C servers (the old layout; its
// C server is not packaged, so libvfio-user's own C sample stands in for it).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BenchRow } from "../../../bench/run.ts";
import { libvfioUserPrefix } from "@mock-accel/server";

const root = join(import.meta.dirname, "../../..");

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/**
 * The process's own memory: RSS without file-backed pages. Most of the rest of a Bun process's
 * RSS is the pages of the bun executable it has run (about 26 MiB for an empty script), clean
 * and shared with every other Bun process through the page cache.
 */
function anonymousMiB(pid: number): number {
  return Number(/^Anonymous:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"))![1]) / 1024;
}

async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.on("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

export default async function bench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const runDir = mkdtempSync(join(tmpdir(), "mock-accel-bench-up-"));
  try {
    const started = performance.now();
    const up = spawn("bun", ["apps/cli/src/main.ts", "up", "examples/cluster.yaml", "--run-dir", runDir], { cwd: root, stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    up.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes("device(s) up"), 30_000, "mock-accel up");
    const readyMs = performance.now() - started;
    await Bun.sleep(500);
    const rss = rssMiB(up.pid!);
    const anonymous = anonymousMiB(up.pid!);
    await stop(up);
    rows.push({ suite: "cli up", metric: "12-device cluster: start to all sockets ready", value: readyMs, unit: "ms", note: "includes Bun start-up" });
    rows.push({ suite: "cli up", metric: "12-device cluster: RSS of the one process", value: rss, unit: "MiB", aim: "< 40 MiB" });
    rows.push({ suite: "cli up", metric: "12-device cluster: anonymous memory of the one process", value: anonymous, unit: "MiB", note: `the other ${(rss - anonymous).toFixed(1)} MiB of RSS are file pages, mostly the bun executable's code` });

    const sample = join(libvfioUserPrefix(), "bin/gpio-pci-idio-16");
    if (!existsSync(sample)) throw new Error(`${sample} missing: bash scripts/install-libvfio-user.sh`);
    const children: ChildProcess[] = [];
    try {
      const t0 = performance.now();
      for (let i = 0; i < 12; i++) children.push(spawn(sample, [join(runDir, `c${i}.sock`)], { stdio: "ignore" }));
      await waitFor(() => children.every((_c, i) => existsSync(join(runDir, `c${i}.sock`))), 30_000, "C servers");
      const cReady = performance.now() - t0;
      await Bun.sleep(500);
      const total = children.reduce((s, c) => s + rssMiB(c.pid!), 0);
      rows.push({ suite: "cli up", metric: "12 C server processes (old layout): start to sockets ready", value: cReady, unit: "ms", note: "libvfio-user gpio-pci-idio-16 as the C server" });
      rows.push({ suite: "cli up", metric: "12 C server processes (old layout): total RSS", value: total, unit: "MiB", note: "old project: ~2.1 MB each, ~25 MB" });
    } finally {
      for (const c of children) c.kill("SIGKILL");
    }
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
  return rows;
}
