// DRA driver numbers: ResourceSlice generation for 256 devices (32 PFs × 7 VFs on a fake
// tree), publishing them to the API-server stand-in, prepare + unprepare of a 4-device claim
// end to end over the kubelet sockets, how long a slice someone else deleted takes to come back,
// and how long a VF enablement takes to be republished.
import { MockAccelSysfs } from "@mock-accel/sysfs-client";
import { existsSync } from "node:fs";
import type { BenchRow } from "../../../bench/run.ts";
import { DeviceInventory } from "../src/inventory.ts";
import { silentLogger } from "../src/logger.ts";
import { buildSlices } from "../src/slices.ts";
import { DRIVER, NODE, eventually, setup } from "../test/harness.ts";

const SUITE = "dra-driver";

function stats(samples: number[]): { median: number; p95: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, p95: s[Math.min(s.length - 1, Math.floor(s.length * 0.95))]! };
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

export default async function bench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];

  // --- slices for 256 devices
  {
    const env = await setup(Array.from({ length: 32 }, (_, i) => ({ numaNode: i % 4, totalVfs: 7, enabledVfs: 7 })));
    try {
      const inventory = new DeviceInventory(new MockAccelSysfs({ root: env.fake.root }), DRIVER, silentLogger);
      const gen: number[] = [];
      let devices = 0;
      for (let i = 0; i < 10; i++) {
        gen.push(await time(async () => {
          const snap = await inventory.snapshot();
          devices = snap.devices.length;
          buildSlices({ driverName: DRIVER, nodeName: NODE, generation: 1 }, snap.devices);
        }));
      }
      const g = stats(gen);
      rows.push({ suite: SUITE, metric: `slice generation, ${devices} devices (discover + read attributes + build)`, value: +g.median.toFixed(1), unit: "ms", note: `median of 10, p95 ${g.p95.toFixed(1)} ms; fake sysfs tree` });
      const driver = await env.start();
      await eventually("first publish", () => (env.api.slicesOf(NODE, DRIVER).length === 2 ? true : undefined), 30_000);
      const pub: number[] = [];
      for (let i = 0; i < 5; i++) {
        // A VF toggled between rounds forces a real republish (new generation, both slices replaced).
        await env.fake.enableVfs("mock0", i % 2 === 0 ? 6 : 7);
        pub.push(await time(() => driver.publisher.publishOnce()));
      }
      const p = stats(pub);
      rows.push({ suite: SUITE, metric: "publish 2 ResourceSlices (256 devices) to the API-server stand-in", value: +p.median.toFixed(1), unit: "ms", note: `median of 5, p95 ${p.p95.toFixed(1)} ms; Node read + list + 2 replaces over HTTP on loopback; waits for a pass the publisher's own loop has running` });
    } finally {
      await env.cleanup();
    }
  }

  // --- prepare + unprepare of a 4-device claim over the sockets
  {
    // The driver's default watch interval, so the republish latency is what a node sees. The fake
    // sysfs tree and the CDI folder on a memory file system, as sysfs and /var/run/cdi are on a
    // node (on a disk, the fake tree's STATUS writes wait on the checkpoint's journal commits).
    const memoryDir = existsSync("/dev/shm") ? "/dev/shm" : undefined;
    const env = await setup([{ totalVfs: 3, enabledVfs: 3 }], { watchIntervalMs: 500, memoryDir });
    try {
      await env.start();
      await env.kubelet.register(DRIVER);
      const uid = env.api.allocateClaim("default", "four", ["mock0", "mock0-vf0", "mock0-vf1", "mock0-vf2"].map((device) => ({ request: "all", driver: DRIVER, pool: NODE, device })));
      const claim = { namespace: "default", name: "four", uid };
      const rounds: number[] = [];
      for (let i = 0; i < 40; i++) {
        rounds.push(await time(async () => {
          const p = await env.kubelet.prepare([claim]);
          if (p.claims[uid]!.error) throw new Error(p.claims[uid]!.error);
          const u = await env.kubelet.unprepare([claim]);
          if (u.claims[uid]!.error) throw new Error(u.claims[uid]!.error);
        }));
      }
      const r = stats(rounds.slice(5));
      rows.push({ suite: SUITE, metric: "prepare + unprepare, 4-device claim, end to end over the sockets", value: +r.median.toFixed(1), unit: "ms", aim: "< 10 ms", note: `median of 35 after 5 warm-up, p95 ${r.p95.toFixed(1)} ms; gRPC on UNIX sockets, claim fetched over HTTP, STATUS via fake sysfs${memoryDir ? " (fake tree and CDI folder in /dev/shm, checkpoint on disk)" : ""}; 2 fdatasyncs (the checkpoint record and its deletion, each over the older of its two files), CDI spec renamed into place unsynced (README "Crash safety")` });

      // --- a slice deleted by someone else (the kubelet at its start) → republished, through the slice watch
      const back: number[] = [];
      for (let i = 0; i < 10; i++) {
        const name = env.api.slicesOf(NODE, DRIVER)[0]!.metadata!.name!;
        const republished = env.driver!.publisher.nextPublish((r) => r.changed);
        back.push(await time(async () => {
          const res = await fetch(`${env.api.url}/apis/resource.k8s.io/v1/resourceslices/${name}`, { method: "DELETE" });
          if (res.status !== 200) throw new Error(`DELETE ${name}: HTTP ${res.status}`);
          await republished;
        }));
      }
      const b = stats(back);
      rows.push({ suite: SUITE, metric: "ResourceSlice deleted by someone else → republished", value: +b.median.toFixed(1), unit: "ms", aim: "< 2000 ms", note: `median of 10, p95 ${b.p95.toFixed(1)} ms; DELETE over HTTP, watch event, Node read, list, create; 60 s resync not involved` });

      // --- VF enablement → republished
      const lat: number[] = [];
      for (let i = 0; i < 3; i++) {
        const before = env.api.slicesOf(NODE, DRIVER)[0]!.spec.pool.generation;
        lat.push(await time(async () => {
          await env.fake.enableVfs("mock0", i % 2 === 0 ? 2 : 3);
          await eventually("republish", () => (env.api.slicesOf(NODE, DRIVER)[0]!.spec.pool.generation > before ? true : undefined), 30_000);
        }));
      }
      const l = stats(lat);
      rows.push({ suite: SUITE, metric: "VF enabled → ResourceSlice republished", value: +l.median.toFixed(0), unit: "ms", aim: "< 2000 ms", note: "median of 3; default 500 ms watch interval" });
    } finally {
      await env.cleanup();
    }
  }
  return rows;
}
