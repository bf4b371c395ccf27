// Node image numbers: the cold build of each image (an empty image cache; Go's module cache and
// Bun's runtime download already warm), the archives' sizes, the driver executable's size, how
// long the driver takes on this host from exec to serving the kubelet's registration socket
// (protos parsed, both gRPC servers bound), compiled with and without --bytecode, and, as root,
// how long trixie's containerd takes to import each archive (`ctr images import`, unpacking
// included) into an empty store on this host.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BenchRow } from "../../../bench/run.ts";
import { buildNodeImage, IMAGE_NAMES } from "../src/index.ts";
import { compileDriver } from "../src/images/driver.ts";
import { startContainerd, unpackedContainerd } from "../test/images-containerd.ts";

const SUITE = "node-image";
const MB = 1024 * 1024;

function median(samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** ms from spawn until the registration socket exists; the driver is then stopped. */
async function timeToSocket(binary: string, dir: string): Promise<number> {
  const registry = join(dir, `registry-${Math.random().toString(36).slice(2)}`);
  const socket = join(registry, "mock-accel.example.com-reg.sock");
  const started = performance.now();
  const child = spawn(binary, ["run", "--node-name", "bench-node", "--kubeconfig", join(dir, "kubeconfig"), "--sysfs-root", join(dir, "sys"),
    "--registrar-dir", registry, "--plugin-dir", join(dir, "plugin"), "--cdi-dir", join(dir, "cdi"), "--verbosity", "0"], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  try {
    while (!existsSync(socket)) {
      if (child.exitCode !== null) throw new Error(`${binary} exited ${child.exitCode} before serving`);
      if (performance.now() - started > 30_000) throw new Error(`${binary}: no ${socket} after 30 s`);
      await new Promise((r) => setTimeout(r, 2));
    }
    return performance.now() - started;
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
}

export default async function bench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const scratch = mkdtempSync(join(tmpdir(), "mock-accel-images-bench-"));
  const saved = process.env.MOCK_ACCEL_CACHE;
  try {
    process.env.MOCK_ACCEL_CACHE = join(scratch, "cache");
    const archives: string[] = [];
    for (const name of IMAGE_NAMES) {
      const t = performance.now();
      const image = await buildNodeImage(name);
      archives.push(image.archive);
      rows.push({ suite: SUITE, metric: `${name} image: cold build`, value: (performance.now() - t) / 1000, unit: "s" });
      rows.push({ suite: SUITE, metric: `${name} image: archive size`, value: statSync(image.archive).size / MB, unit: "MB", note: image.ref });
    }
    if (process.getuid?.() === 0) {
      const containerd = await startContainerd(await unpackedContainerd(), join(scratch, "containerd"));
      try {
        for (const [i, name] of IMAGE_NAMES.entries()) {
          const t = performance.now();
          const r = await containerd.ctr(["images", "import", archives[i]!]);
          if (r.code !== 0) throw new Error(`ctr images import ${archives[i]}: ${r.stderr}`);
          rows.push({ suite: SUITE, metric: `${name} image: ctr images import`, value: (performance.now() - t) / 1000, unit: "s", note: "containerd 1.7, this host (not TCG)" });
        }
      } finally {
        await containerd.stop();
      }
    }
    if (saved === undefined) delete process.env.MOCK_ACCEL_CACHE;
    else process.env.MOCK_ACCEL_CACHE = saved;

    const dir = join(scratch, "driver");
    mkdirSync(join(dir, "sys"), { recursive: true });
    // An API server that is not there: the agent retries it while it serves the kubelet.
    writeFileSync(join(dir, "kubeconfig"), `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
users: [{name: u, user: {token: x}}]
current-context: c
`);
    for (const bytecode of [true, false]) {
      const binary = join(scratch, bytecode ? "dra-bytecode" : "dra-plain");
      const t = performance.now();
      await compileDriver(binary, { bytecode });
      const label = bytecode ? "--bytecode" : "no --bytecode";
      rows.push({ suite: SUITE, metric: `driver executable: compile (${label})`, value: (performance.now() - t) / 1000, unit: "s" });
      rows.push({ suite: SUITE, metric: `driver executable: size (${label})`, value: statSync(binary).size / MB, unit: "MB" });
      await timeToSocket(binary, dir); // page cache warm
      const samples: number[] = [];
      for (let i = 0; i < 7; i++) samples.push(await timeToSocket(binary, dir));
      rows.push({ suite: SUITE, metric: `driver start to registration socket (${label})`, value: median(samples), unit: "ms", note: "median of 7, this host (not TCG)" });
    }
  } finally {
    if (saved === undefined) delete process.env.MOCK_ACCEL_CACHE;
    else process.env.MOCK_ACCEL_CACHE = saved;
    rmSync(scratch, { recursive: true, force: true });
  }
  return rows;
}
