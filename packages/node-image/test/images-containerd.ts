// A private containerd for the images test: Debian trixie's containerd and runc (what the node
// guest runs) unpacked with scripts/apt-unpack.sh and cached, started with its own config whose
// root, state and sockets all live in the caller's temporary folder, with the CRI plugin and
// everything else that would touch a host path (/opt/containerd, NRI's socket) disabled.
//
// Two paths are fixed in containerd 1.7 and cannot be configured: the shim's socket goes to
// /run/containerd/s/<hash of our address> (runtime/v2/shim/util_unix.go) and is removed when the
// shim exits; `stop()` removes /run/containerd/s and /run/containerd again if they were created
// for this instance and are empty. ctr's FIFOs and runc's state are put under the temporary
// folder with --fifo-dir and --runc-root, its cgroups under a parent of this instance's own.
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, closeSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cachedBuild, hashFiles, REPO_ROOT, run, runOk, type RunResult } from "@mock-accel/vm-harness";
import { hostContainerdConfig } from "../src/preload.ts";

const APT_UNPACK = join(REPO_ROOT, "scripts", "apt-unpack.sh");
const SHIM_SOCKET_DIR = "/run/containerd/s";

/** trixie's containerd and runc, unpacked once into the cache; returns the tree. */
export async function unpackedContainerd(): Promise<string> {
  const key = hashFiles([APT_UNPACK], ["trixie", "containerd runc"]);
  return cachedBuild(join("node-image", "test"), "containerd-trixie", key, "tree", async (out) => {
    await runOk("bash", [APT_UNPACK, "--suite", "trixie", "--into", out, "containerd", "runc"]);
  });
}

export interface Containerd {
  address: string;
  /** ctr with this instance's address, in namespace k8s.io unless told otherwise. */
  ctr(args: string[], opts?: { timeoutMs?: number; namespace?: string }): Promise<RunResult>;
  /** `ctr run` flags that keep runc's state, FIFOs and cgroups this instance's. */
  runFlags(id: string): string[];
  /** Starts `ctr run` without waiting (for containers stopped later); resolves with its result when it exits. */
  runDetached(args: string[]): { done: Promise<RunResult>; child: ChildProcess };
  log(): string;
  stop(): Promise<void>;
}

/** Starts containerd from `tree` (unpackedContainerd) with everything inside `dir`. */
export async function startContainerd(tree: string, dir: string): Promise<Containerd> {
  const bin = join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  // trixie's runc needs glibc 2.38 (a bookworm host has 2.36): the copy loads trixie's C library
  // from the unpacked tree. Not a wrapper script: runc re-executes /proc/self/exe.
  const libdir = join(tree, "usr", "lib", "x86_64-linux-gnu");
  const runc = join(bin, "runc");
  copyFileSync(join(tree, "usr", "sbin", "runc"), runc);
  chmodSync(runc, 0o755);
  await runOk("patchelf", ["--set-interpreter", join(libdir, "ld-linux-x86-64.so.2"), "--set-rpath", libdir, runc]);

  const address = join(dir, "containerd.sock");
  const config = join(dir, "config.toml");
  writeFileSync(config, hostContainerdConfig({ root: join(dir, "root"), state: join(dir, "state"), address }));

  const createdRunDirs = ["/run/containerd", SHIM_SOCKET_DIR].filter((d) => !existsSync(d));
  const logPath = join(dir, "containerd.log");
  const logFd = openSync(logPath, "a");
  // The shims containerd starts find runc on this PATH (bin first: the patched copy).
  const env = { ...process.env, PATH: `${bin}:${join(tree, "usr", "bin")}:${join(tree, "usr", "sbin")}:${process.env.PATH ?? "/usr/bin:/bin"}` };
  const child = spawn(join(tree, "usr", "bin", "containerd"), ["--config", config], { env, stdio: ["ignore", logFd, logFd] });
  closeSync(logFd);
  let exited: number | null = null;
  const exit = new Promise<void>((resolve) => child.on("exit", (code, signal) => { exited = code ?? (signal ? 128 : -1); resolve(); }));
  const log = () => (existsSync(logPath) ? readFileSync(logPath, "utf8") : "");

  const ctrBin = join(tree, "usr", "bin", "ctr");
  const ctrArgs = (args: string[], namespace = "k8s.io") => ["--address", address, "--namespace", namespace, ...args];
  const ctr = (args: string[], opts: { timeoutMs?: number; namespace?: string } = {}) =>
    run(ctrBin, ctrArgs(args, opts.namespace), { env, timeoutMs: opts.timeoutMs ?? 120_000 });
  const cgroupParent = `mock-accel-node-image-test-${process.pid}`;

  const stop = async () => {
    if (exited === null) {
      // A test that failed half-way may leave a task running: its shim would outlive
      // containerd (shims are on their own) with the container's rootfs mounted under `dir`.
      const tasks = await ctr(["task", "ls", "-q"]);
      for (const id of tasks.stdout.split("\n").map((l) => l.trim()).filter(Boolean)) await ctr(["task", "delete", "--force", id]);
      const containers = await ctr(["container", "ls", "-q"]);
      for (const id of containers.stdout.split("\n").map((l) => l.trim()).filter(Boolean)) await ctr(["container", "delete", id]);
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exit;
      clearTimeout(killer);
    }
    // runc removes each container's cgroup; the parent is ours to remove, in every hierarchy.
    for (const hierarchy of cgroupHierarchies()) {
      const p = join(hierarchy, cgroupParent);
      if (existsSync(p)) rmdirSync(p);
    }
    for (const d of [...createdRunDirs].reverse()) if (existsSync(d) && readdirSync(d).length === 0) rmdirSync(d);
  };

  const until = Date.now() + 30_000;
  for (;;) {
    if (exited !== null) throw new Error(`containerd exited (${exited}) at start:\n${log().slice(-3000)}`);
    if (existsSync(address) && (await ctr(["version"], { timeoutMs: 10_000 })).code === 0) break;
    if (Date.now() > until) {
      await stop();
      throw new Error(`containerd did not answer on ${address} within 30 s:\n${log().slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    address,
    ctr,
    runFlags: (id) => ["--runc-binary", runc, "--runc-root", join(dir, "runc"), "--fifo-dir", join(dir, "fifo"), "--cgroup", `/${cgroupParent}/${id}`],
    runDetached(args) {
      const c = spawn(ctrBin, ctrArgs(args), { env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      c.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
      c.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
      const done = new Promise<RunResult>((resolve, reject) => {
        c.on("error", reject);
        c.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
      });
      return { done, child: c };
    },
    log,
    stop,
  };
}

/** The mounted cgroup hierarchies (v1 controllers and the unified one). */
function cgroupHierarchies(): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8").split("\n")
    .map((l) => l.split(" "))
    .filter((f) => { const sep = f.indexOf("-"); return sep > 0 && (f[sep + 1] === "cgroup" || f[sep + 1] === "cgroup2"); })
    .map((f) => f[4]!);
}

/** Mount points at or under `dir` (a leak check before removing it). */
export function mountsUnder(dir: string): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8").split("\n").map((l) => l.split(" ")[4]).filter((m): m is string => !!m && (m === dir || m.startsWith(`${dir}/`)));
}
