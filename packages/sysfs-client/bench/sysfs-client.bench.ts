// `bun run bench --filter sysfs-client`: discovery of 256 devices in a fake tree (4 NUMA nodes x
// 8 PFs x 7 VFs, all enabled) and reading every attribute of one device.
import { closeSync, openSync, readSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { MockAccelSysfs, createFakeSysfs, type FakeTopology } from "../src/index.ts";
import type { BenchRow } from "../../../bench/run.ts";

const SUITE = "sysfs-client";

interface Timing {
  medianMs: number;
  minMs: number;
  /** User + system CPU time of this process per run: less at the mercy of other load than wall time. */
  cpuMs: number;
}

async function measure(runs: number, fn: () => Promise<unknown>): Promise<Timing> {
  for (let i = 0; i < 3; i++) await fn(); // warm the dentry cache and the JIT
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)]!, minMs: times[0]!, cpuMs: (cpu.user + cpu.system) / 1000 / runs };
}

export default async function bench(): Promise<BenchRow[]> {
  const topology: FakeTopology = Array.from({ length: 32 }, (_, i) => ({ numaNode: i % 4, totalVfs: 7, enabledVfs: 7 }));
  const t0 = performance.now();
  const fake = await createFakeSysfs(await mkdtemp(join(tmpdir(), "mock-accel-bench-")), topology);
  const createMs = performance.now() - t0;
  try {
    using client = new MockAccelSysfs({ root: fake.root });
    const found = (await client.discover()).length;
    if (found !== 256) throw new Error(`expected 256 devices, discovered ${found}`);
    const discover = await measure(30, () => client.discover());
    const device = await client.get("mock0");
    const attributes = Object.keys(await device.readAll()).length;
    const readAll = await measure(200, () => device.readAll());
    const readOne = await measure(200, () => device.read("memory_size"));
    // Each read opening the file (maxOpenFiles 0), as every read did before files were kept open.
    using uncached = new MockAccelSysfs({ root: fake.root, maxOpenFiles: 0 });
    const uncachedDevice = await uncached.get("mock0");
    const readOneOpening = await measure(200, () => uncachedDevice.read("memory_size"));
    // The floor the typed read is held against (issue 20 aims at <= 3x): one pread on an fd opened once.
    const fd = openSync(join(device.path, "memory_size"), "r");
    const page = Buffer.alloc(4097);
    const rawRead = await measure(200, async () => readSync(fd, page, 0, page.length, 0)).finally(() => closeSync(fd));
    const load = `load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores`;
    return [
      { suite: SUITE, metric: "discover() 256 devices, median", value: discover.medianMs, unit: "ms", aim: "< 50 ms", note: `30 runs; 32 PFs x 7 VFs on 4 NUMA nodes; ${load}` },
      { suite: SUITE, metric: "discover() 256 devices, fastest", value: discover.minMs, unit: "ms", aim: "< 50 ms", note: "the machine's least contended run" },
      { suite: SUITE, metric: "discover() 256 devices, CPU time", value: discover.cpuMs, unit: "ms", note: "user+sys of this process per run (includes fs threads)" },
      { suite: SUITE, metric: `readAll() one PF (${attributes} attributes), median`, value: readAll.medianMs, unit: "ms", note: "200 runs" },
      { suite: SUITE, metric: "read(\"memory_size\"), median", value: readOne.medianMs * 1000, unit: "µs", aim: "<= 3x raw pread", note: `200 runs; ${(readOne.medianMs / rawRead.medianMs).toFixed(1)}x the raw pread below; the file kept open (pread at 0 + fstat on a fake tree)` },
      { suite: SUITE, metric: "read(\"memory_size\") opening the file each time (maxOpenFiles 0), median", value: readOneOpening.medianMs * 1000, unit: "µs", note: `200 runs; ${(readOneOpening.medianMs / rawRead.medianMs).toFixed(1)}x the raw pread; open + fstat + read + close` },
      { suite: SUITE, metric: "raw pread of memory_size on an open fd, median", value: rawRead.medianMs * 1000, unit: "µs", note: "200 runs; no open, no checks, no parse" },
      { suite: SUITE, metric: "createFakeSysfs() 256 devices", value: createMs, unit: "ms", note: "once" },
    ];
  } finally {
    await fake.cleanup();
  }
}
