// Images imported into the node's containerd when its disk is built, not at every boot:
// unpacking the 56 MB driver image under TCG took 45-60 s of each node's start. The node's own
// containerd (trixie's, from the unpacked packages) runs here on the host with its root inside
// the disk's staging folder and everything else in a temporary folder, imports the archives
// into the namespace the CRI uses, and stops; the disk then carries its metadata and snapshots.
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, runOk } from "@mock-accel/vm-harness";

/** The namespace the kubelet's CRI looks for images in. */
const CRI_NAMESPACE = "k8s.io";

/**
 * A config for the node's containerd run on the host: every path given, the CRI and what would
 * touch a host path (/opt/containerd, NRI's socket) or the network (tracing, metrics) off.
 */
export function hostContainerdConfig(o: { root: string; state: string; address: string }): string {
  return `version = 2
root = "${o.root}"
state = "${o.state}"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt", "io.containerd.nri.v1.nri", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "${o.address}"
[ttrpc]
  address = "${o.address}.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
`;
}

export async function preloadImages(packagesRoot: string, containerdRoot: string, archives: readonly string[]): Promise<void> {
  if (archives.length === 0) return;
  const dir = mkdtempSync(join(tmpdir(), "mock-accel-preload-"));
  // containerd 1.7 makes /run/containerd for its shims whatever its config says; none start here.
  const createdRunDir = !existsSync("/run/containerd");
  const address = join(dir, "containerd.sock");
  const config = join(dir, "config.toml");
  writeFileSync(config, hostContainerdConfig({ root: containerdRoot, state: join(dir, "state"), address }));

  const logPath = join(dir, "containerd.log");
  const logFd = openSync(logPath, "a");
  const child = spawn(join(packagesRoot, "usr", "bin", "containerd"), ["--config", config], { stdio: ["ignore", logFd, logFd] });
  closeSync(logFd);
  let exitCode: number | null = null;
  const exited = new Promise<void>((resolve) => child.on("exit", (code, signal) => {
    exitCode = code ?? (signal ? 128 : -1);
    resolve();
  }));
  const log = () => (existsSync(logPath) ? readFileSync(logPath, "utf8").slice(-3000) : "");
  const ctr = join(packagesRoot, "usr", "bin", "ctr");
  try {
    const deadline = Date.now() + 30_000;
    while ((await run(ctr, ["--address", address, "version"], { timeoutMs: 5_000 })).code !== 0) {
      if (exitCode !== null) throw new Error(`containerd exited (${exitCode}) while preloading images:\n${log()}`);
      if (Date.now() > deadline) throw new Error(`containerd did not answer within 30 s while preloading images:\n${log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const archive of archives) await runOk(ctr, ["--address", address, "--namespace", CRI_NAMESPACE, "images", "import", archive], { timeoutMs: 300_000 });
  } finally {
    if (exitCode === null) {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
    if (createdRunDir && existsSync("/run/containerd") && readdirSync("/run/containerd").length === 0) rmdirSync("/run/containerd");
  }
}
