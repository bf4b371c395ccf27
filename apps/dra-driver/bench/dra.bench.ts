// DRA driver numbers: ResourceSlice generation for 256 devices (32 PFs × 7 VFs on a fake
// tree), publishing them to the API-server stand-in, prepare + unprepare of a 4-device claim
// end to end over the kubelet sockets, how long a slice someone else deleted takes to come back,
// and how long a VF enablement takes to be republished.
import { MockAccelSysfs } from "@mock-accel/sysfs-client";
import { runOk } from "@mock-accel/vm-harness";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchRow } from "../../../bench/run.ts";
import { DeviceInventory } from "../src/inventory.ts";
import { silentLogger } from "../src/logger.ts";
import { buildSlices } from "../src/slices.ts";
import { DRIVER, NODE, eventually, exited, runPlugin, setup, type Env } from "../test/harness.ts";

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

const FOUR_DEVICES = ["mock0", "mock0-vf0", "mock0-vf1", "mock0-vf2"];
const KUBELET_GO_DIR = fileURLToPath(new URL("kubelet-go", import.meta.url));

const PREPARE_SETUP = 'gRPC on UNIX sockets, claim fetched over HTTP, STATUS via fake sysfs (fake tree and CDI folder in /dev/shm as sysfs and /var/run/cdi are on a node, checkpoint on disk); 2 fdatasyncs (the checkpoint record and its deletion, each over the older of its two files), CDI spec renamed into place unsynced (README "Crash safety")';

// The fake sysfs tree and the CDI folder on a memory file system, as sysfs and /var/run/cdi are
// on a node (on a disk, the fake tree's STATUS writes wait on the checkpoint's journal commits).
const MEMORY_DIR = existsSync("/dev/shm") ? "/dev/shm" : undefined;

/** The claim the prepare rows use, allocated in the API-server stand-in: its UID. */
const allocateFour = (env: Env): string => env.api.allocateClaim("default", "four", FOUR_DEVICES.map((device) => ({ request: "all", driver: DRIVER, pool: NODE, device })));

/** 40 rounds of prepare + unprepare of one 4-device claim through the kubelet stand-in; stats of the last 35. */
async function prepareRounds(env: Env): Promise<{ median: number; p95: number }> {
  const uid = allocateFour(env);
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
  return stats(rounds.slice(5));
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
    // The driver's default watch interval, so the republish latency is what a node sees.
    const env = await setup([{ totalVfs: 3, enabledVfs: 3 }], { watchIntervalMs: 500, memoryDir: MEMORY_DIR });
    try {
      await env.start();
      await env.kubelet.register(DRIVER);
      const r = await prepareRounds(env);
      rows.push({ suite: SUITE, metric: "prepare + unprepare, 4-device claim, end to end over the sockets, all in one process", value: +r.median.toFixed(1), unit: "ms", note: `median of 35 after 5 warm-up, p95 ${r.p95.toFixed(1)} ms; the driver, the kubelet's and the API server's stand-ins share one thread (the figure issue 20 started from); ${PREPARE_SETUP}${MEMORY_DIR ? "" : " (no /dev/shm: all on disk)"}` });

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
  // --- the same as the kubelet sees it: the driver as its own process (what the DaemonSet
  // runs), called by the kubelet's own client code (grpc-go, bench/kubelet-go), the API server
  // another process. The stand-in above is a grpc-js client under Bun, about 3 ms a call itself.
  {
    const env = await setup([{ totalVfs: 3, enabledVfs: 3 }], { memoryDir: MEMORY_DIR });
    const kubeletGo = join(env.dir, "kubelet-go");
    await runOk("go", ["build", "-o", kubeletGo, "."], { cwd: KUBELET_GO_DIR, hint: "the Go toolchain (apt-get install golang-go)" });
    const plugin = runPlugin(env);
    try {
      await env.kubelet.register(DRIVER);
      const uid = allocateFour(env);
      const out = await runOk(kubeletGo, ["-socket", join(env.paths.pluginDir, "dra.sock"), "-name", "four", "-uid", uid, "-rounds", "240"]);
      const { prepareUs, unprepareUs } = JSON.parse(out) as { prepareUs: number[]; unprepareUs: number[] };
      const pairs = prepareUs.map((p, i) => (p + unprepareUs[i]!) / 1000);
      // A new process runs its first claims before JavaScriptCore has compiled the code paths
      // (a node that prepares a few claims a day sees this); a busy one runs them compiled.
      const phases: [string, number, number][] = [["claims 6-40 of a new driver process", 5, 40], ["claims 141-240 (compiled)", 140, 240]];
      for (const [which, from, to] of phases) {
        const r = stats(pairs.slice(from, to));
        const us = (list: number[]) => stats(list.slice(from, to)).median.toFixed(0);
        rows.push({ suite: SUITE, metric: `prepare + unprepare, 4-device claim, as the kubelet calls it: ${which}`, value: +r.median.toFixed(1), unit: "ms", aim: "< 10 ms", note: `median of ${to - from}, p95 ${r.p95.toFixed(1)} ms (prepare ${us(prepareUs)} µs, unprepare ${us(unprepareUs)} µs); \`dra run\` as the DaemonSet runs it, called by k8s.io/kubelet's DRAPlugin client over grpc-go (bench/kubelet-go); ${PREPARE_SETUP}` });
      }
    } catch (err) {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${plugin.output().slice(-2000)}`);
    } finally {
      plugin.child.kill("SIGKILL");
      await exited(plugin.child);
      await env.cleanup();
    }
  }

  return rows;
}
