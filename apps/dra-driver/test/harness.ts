// One driver under test: a fake sysfs tree, the API-server stand-in on loopback, the driver
// started in this process (or as its own, with runPlugin) with every path in a temporary
// directory, and a kubelet stand-in.
import { KubeConfig } from "@kubernetes/client-node";
import { eventually as testkitEventually } from "@mock-accel/testkit";
import { createFakeSysfs, MockAccelSysfs, type FakeSysfs, type FakeTopology } from "@mock-accel/sysfs-client";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startDriver, type RunningDriver } from "../src/driver.ts";
import { MemoryLogger } from "../src/logger.ts";
import { ApiServerStandIn } from "./stand-ins/api-server.ts";
import { KubeletStandIn } from "./stand-ins/kubelet.ts";

export const DRIVER = "mock-accel.example.com";
export const NODE = "node-a";

export interface Env {
  dir: string;
  fake: FakeSysfs;
  api: ApiServerStandIn;
  kubelet: KubeletStandIn;
  log: MemoryLogger;
  paths: { sysfsRoot: string; registrarDir: string; pluginDir: string; cdiDir: string; checkpointPath: string; kubeconfig: string };
  driver: RunningDriver | undefined;
  start(): Promise<RunningDriver>;
  /** Status register of a device, read through the sysfs client as a node agent would. */
  status(kernelName: string): Promise<number>;
  cleanup(): Promise<void>;
}

export function kubeConfigFor(url: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "stand-in", server: url, skipTLSVerify: true }],
    users: [{ name: "test" }],
    contexts: [{ name: "stand-in", cluster: "stand-in", user: "test" }],
    currentContext: "stand-in",
  });
  return kc;
}

export interface SetupOptions {
  watchIntervalMs?: number;
  resyncIntervalMs?: number;
  registerNode?: boolean;
  /**
   * A memory file system (/dev/shm) for the fake sysfs tree and the CDI directory, as sysfs and
   * /var/run/cdi are on a node; the checkpoint stays in the temporary directory, on disk. On a
   * disk file system the fake tree's STATUS writes wait on the journal commits the checkpoint's
   * fsyncs start, which real sysfs writes never do. Default: everything in the temporary directory.
   */
  memoryDir?: string;
}

export async function setup(topology: FakeTopology, opts: SetupOptions = {}): Promise<Env> {
  const dir = mkdtempSync(join(tmpdir(), "dra-driver-"));
  const memory = opts.memoryDir === undefined ? dir : mkdtempSync(join(opts.memoryDir, "dra-driver-"));
  const fake = await createFakeSysfs(join(memory, "sys"), topology);
  const api = new ApiServerStandIn().start();
  // The kubelet registers the Node; the driver's slices are owned by it.
  if (opts.registerNode !== false) api.addNode(NODE);
  const paths = {
    sysfsRoot: fake.root,
    registrarDir: join(dir, "plugins_registry"),
    pluginDir: join(dir, "plugins", DRIVER),
    cdiDir: join(memory, "cdi"),
    checkpointPath: join(dir, "plugins", DRIVER, "checkpoint.json"),
    kubeconfig: join(dir, "kubeconfig.yaml"),
  };
  writeFileSync(paths.kubeconfig, [
    "apiVersion: v1", "kind: Config", "current-context: stand-in",
    "clusters:", `- name: stand-in`, `  cluster: { server: "${api.url}", insecure-skip-tls-verify: true }`,
    "users:", "- name: test", "  user: {}",
    "contexts:", "- name: stand-in", "  context: { cluster: stand-in, user: test }", "",
  ].join("\n"));
  const log = new MemoryLogger();
  const kubelet = new KubeletStandIn(paths.registrarDir);
  const client = new MockAccelSysfs({ root: fake.root });
  const env: Env = {
    dir, fake, api, kubelet, log, paths, driver: undefined,
    async start() {
      env.driver = await startDriver({ driverName: DRIVER, nodeName: NODE, kubeConfig: kubeConfigFor(api.url), log, watchIntervalMs: opts.watchIntervalMs ?? 100, resyncIntervalMs: opts.resyncIntervalMs, ...paths });
      return env.driver;
    },
    async status(kernelName) {
      return (await client.get(kernelName)).read("status");
    },
    async cleanup() {
      kubelet.close();
      await env.driver?.stop();
      await api.stop();
      client.close();
      await fake.cleanup();
      rmSync(dir, { recursive: true, force: true });
      rmSync(memory, { recursive: true, force: true });
    },
  };
  return env;
}

/**
 * testkit's `eventually`, polling every 25 ms: the stand-ins answer in milliseconds, and the
 * benchmark times what it waits for with this.
 */
export function eventually<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  return testkitEventually(what, fn, timeoutMs, 25);
}

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));

/**
 * The driver as its own process (`bun src/main.ts run`, what the DaemonSet runs) on the env's
 * paths; its stdout and stderr collected. The caller kills it.
 */
export function runPlugin(e: Env, extraArgs: string[] = []): { child: ChildProcess; output: () => string } {
  const p = e.paths;
  const child = spawn(process.execPath, [MAIN, "run", "--driver-name", DRIVER, "--node-name", NODE, "--kubeconfig", p.kubeconfig,
    "--sysfs-root", p.sysfsRoot, "--registrar-dir", p.registrarDir, "--plugin-dir", p.pluginDir, "--cdi-dir", p.cdiDir,
    "--checkpoint", p.checkpointPath, ...extraArgs], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

/** Resolves once the process has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve())));
}
