// vfio-user transport benchmark (`bun run bench --filter vfio-user`):
//  - 4-byte BAR reads per second through the TS client against this server and against
//    libvfio-user's own C sample (gpio-pci-idio-16, built from the same source by
//    scripts/install-libvfio-user.sh), alternated in one run, and their ratio;
//  - RSS of one process serving 1, 16, 64, 256 (2 VMs × 2 NUMA nodes × 8 PFs × 7 VFs, issue 20)
//    and 1,024 devices;
//  - time from process start to all 16 sockets listening;
//  - CPU used by 16 idle devices.
// Servers run as their own processes, so the client and the server do not share a core's JS
// thread and both sides are measured the same way.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuTicks } from "@mock-accel/testkit";
import type { BenchRow } from "../../../bench/run.ts";
import { VfioUserClient } from "../src/client/vfio-user-client.ts";
import { findInstallation } from "../src/transports/vfio-user/libvfio-user.ts";

const SUITE = "vfio-user";
const serverDir = join(import.meta.dir, "..");
// Short alternating slices: the machine is shared, so the load drifts; each pair of adjacent
// slices sees about the same load, and the ratio is the median of the pairs' ratios.
const SECONDS_PER_ROUND = 0.5;
const ROUNDS = 12;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Served {
  child: ChildProcess;
  ready: { readyMs: number; rssBytes: number };
  spawnToReadyMs: number;
  stop(): Promise<void>;
}

async function serveMany(count: number, dir: string): Promise<Served> {
  const t0 = performance.now();
  const child = spawn("bun", ["src/bin/serve-many.ts", "--count", String(count), "--dir", dir], { cwd: serverDir, stdio: ["ignore", "pipe", "inherit"] });
  const ready = await new Promise<{ readyMs: number; rssBytes: number }>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.includes('"ready":true'));
      if (line) resolve(JSON.parse(line) as { readyMs: number; rssBytes: number });
    });
    child.once("exit", (code) => reject(new Error(`serve-many --count ${count} exited with ${code}`)));
  });
  const spawnToReadyMs = performance.now() - t0;
  return {
    child,
    ready,
    spawnToReadyMs,
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    },
  };
}

async function startCSample(sample: string, socketPath: string): Promise<ChildProcess> {
  const child = spawn(sample, [socketPath], { stdio: ["ignore", "ignore", "pipe"] });
  for (let i = 0; i < 200 && !existsSync(socketPath); i++) await sleep(10);
  if (!existsSync(socketPath)) throw new Error(`${sample} did not create ${socketPath}`);
  return child;
}

/** Round trips per second of 4-byte reads of `region` at offset 0 for `seconds`. */
async function readRate(c: VfioUserClient, region: number, seconds: number): Promise<number> {
  let n = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 256; i++) await c.regionRead(region, 0, 4);
    n += 256;
  }
  return n / ((performance.now() - t0) / 1000);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

function vmRssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}


export default async function bench(): Promise<BenchRow[]> {
  const install = findInstallation();
  const rows: BenchRow[] = [];
  const dir = mkdtempSync(join(tmpdir(), "vfu-bench-"));
  try {
    // --- read round trips: this server vs the C sample, alternated ---------------------------
    const ours = await serveMany(1, dir);
    const cSock = join(dir, "gpio.sock");
    const c = install.gpioSamplePath ? await startCSample(install.gpioSamplePath, cSock) : null;
    const oursRates: number[] = [];
    const cRates: number[] = [];
    // Server CPU time per read: unlike the rate, it hardly depends on how loaded the machine is.
    const oursCpu = { ticks: 0, reads: 0 };
    const cCpu = { ticks: 0, reads: 0 };
    const usPerRead = (x: { ticks: number; reads: number }) => (x.ticks * 10_000) / x.reads;
    const oursClient = await VfioUserClient.connect(join(dir, "dev0.sock"));
    const cClient = c ? await VfioUserClient.connect(cSock) : null;
    try {
      // Warm both paths (JIT, page faults) before measuring.
      await readRate(oursClient, 0, 0.3);
      if (cClient) await readRate(cClient, 2, 0.3);
      for (let r = 0; r < ROUNDS; r++) {
        let t = cpuTicks(ours.child.pid!);
        oursRates.push(await readRate(oursClient, 0, SECONDS_PER_ROUND));
        oursCpu.ticks += cpuTicks(ours.child.pid!) - t;
        oursCpu.reads += oursRates.at(-1)! * SECONDS_PER_ROUND;
        // gpio-pci-idio-16 has its registers in BAR2.
        if (cClient && c) {
          t = cpuTicks(c.pid!);
          cRates.push(await readRate(cClient, 2, SECONDS_PER_ROUND));
          cCpu.ticks += cpuTicks(c.pid!) - t;
          cCpu.reads += cRates.at(-1)! * SECONDS_PER_ROUND;
        }
      }
    } finally {
      oursClient.close();
      cClient?.close();
      await ours.stop();
      c?.kill("SIGKILL");
    }
    const list = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(1)).join(" ");
    rows.push({ suite: SUITE, metric: "BAR0 4-byte reads, this server (TS client)", value: median(oursRates), unit: "reads/s", note: `median of ${ROUNDS} × ${SECONDS_PER_ROUND} s; k/s: ${list(oursRates)}` });
    if (c) {
      rows.push({ suite: SUITE, metric: "BAR2 4-byte reads, C gpio-pci-idio-16 (TS client)", value: median(cRates), unit: "reads/s", note: `median of ${ROUNDS} × ${SECONDS_PER_ROUND} s; k/s: ${list(cRates)}` });
      const ratios = oursRates.map((x, i) => x / cRates[i]!);
      rows.push({ suite: SUITE, metric: "read rate vs libvfio-user C sample", value: median(ratios), unit: "ratio", aim: ">= 0.9", note: `median of ${ROUNDS} alternating pairs; ratio of medians ${(median(oursRates) / median(cRates)).toFixed(2)}` });
      rows.push({ suite: SUITE, metric: "server CPU per read, this server", value: usPerRead(oursCpu), unit: "µs", note: `${oursCpu.ticks} ticks / ${oursCpu.reads.toFixed(0)} reads` });
      rows.push({ suite: SUITE, metric: "server CPU per read, C gpio-pci-idio-16", value: usPerRead(cCpu), unit: "µs", note: `${cCpu.ticks} ticks / ${cCpu.reads.toFixed(0)} reads` });
    } else {
      rows.push({ suite: SUITE, metric: "read rate vs libvfio-user C sample", value: Number.NaN, unit: "ratio", aim: ">= 0.9", note: "gpio-pci-idio-16 not built; run scripts/install-libvfio-user.sh" });
    }

    // --- RSS for 1, 16, 64, 256, 1024 devices; start-up and idle CPU for 16 -------------------------------
    for (const count of [1, 16, 64, 256, 1024]) {
      const sub = mkdtempSync(join(dir, `n${count}-`));
      const served = await serveMany(count, sub);
      try {
        await sleep(1000);
        const rss = vmRssBytes(served.child.pid!);
        rows.push({ suite: SUITE, metric: `RSS, ${count} device${count === 1 ? "" : "s"} in one process`, value: rss / 2 ** 20, unit: "MB", ...(count === 64 ? { aim: "< 100 MB" } : count === 256 ? { aim: "< 64 MB" } : {}), note: `start to ready: ${served.ready.readyMs.toFixed(0)} ms` });
        if (count === 16) {
          rows.push({ suite: SUITE, metric: "start to all 16 sockets listening", value: served.ready.readyMs, unit: "ms", note: `spawn to ready line: ${served.spawnToReadyMs.toFixed(0)} ms` });
          const before = cpuTicks(served.child.pid!);
          const idleMs = 3000;
          await sleep(idleMs);
          const ticks = cpuTicks(served.child.pid!) - before;
          rows.push({ suite: SUITE, metric: "idle CPU, 16 devices", value: (ticks * 10 * 100) / idleMs, unit: "% of a core", aim: "0", note: `${ticks} tick(s) in ${idleMs / 1000} s` });
        }
      } finally {
        await served.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
