// The `cluster` subcommands as a user runs them, in a run directory of the test's own:
// `mock-accel cluster up examples/demo.yaml` until it prints KUBECONFIG,
// `mock-accel cluster status` against it, then `mock-accel cluster down`, after which the up
// process has exited and nothing it made is left. What the cluster does is tested in apps/dra-driver/test/vm-cluster.test.ts.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findKubernetes, installCommand } from "@mock-accel/cluster";
import { assertAvailable, requirement, untilOutput } from "@mock-accel/testkit";
import { findVfioUserQemu, run } from "@mock-accel/vm-harness";

const root = join(import.meta.dirname, "../../..");
const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
const kube = requirement("Kubernetes components built from source", findKubernetes().ok, installCommand());
const qemu = requirement("a QEMU with vfio-user-pci", (await findVfioUserQemu({ install: false })) !== null, "bash scripts/install-qemu-vfio-user.sh -v");
const tools = requirement("umoci, socat and mkfs.ext4", ["umoci", "socat", "mkfs.ext4"].every(has), "apt-get install umoci socat e2fsprogs");

const cli = (args: string[]) => spawnSync("bun", ["apps/cli/src/main.ts", ...args], { cwd: root, encoding: "utf8", timeout: 120_000 });

describe("mock-accel cluster", () => {
  const dir = mkdtempSync(join(tmpdir(), "mock-accel-cluster-cli-"));
  const runDir = join(dir, "run");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("status and down say there is no cluster in a run directory without one", () => {
    for (const sub of ["status", "down"]) {
      const r = cli(["cluster", sub, "--run-dir", runDir]);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toContain(`no cluster in ${runDir}`);
    }
  });

  it("up refuses a topology that does not exist, naming it, and leaves no run directory", () => {
    const r = cli(["cluster", "up", "examples/no-such.yaml", "--run-dir", runDir]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("no-such.yaml");
    expect(existsSync(runDir)).toBe(false);
  });

  it.skipIf(kube.skip || qemu.skip || tools.skip)("mock-accel cluster up examples/demo.yaml prints KUBECONFIG; status shows the node and its four devices; down stops it all", async () => {
    for (const r of [kube, qemu, tools]) assertAvailable(r);
    const up = spawn("bun", ["apps/cli/src/main.ts", "cluster", "up", "examples/demo.yaml", "--run-dir", runDir], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    up.stdout.on("data", (b: Buffer) => (out += b.toString()));
    up.stderr.on("data", (b: Buffer) => (err += b.toString()));
    const exited = new Promise<number | null>((resolve) => up.on("exit", (code) => resolve(code)));
    try {
      await untilOutput(up, "cluster up to print KUBECONFIG=", () => /^KUBECONFIG=/m.test(out), () => `${out}\n${err}`, 900_000);
      expect(out).toContain(`KUBECONFIG=${join(runDir, "control-plane", "admin.kubeconfig")}`);
      // Progress all the way: the steps the user waits through are each named.
      for (const step of ["control plane ready", "devices: 4 served over vfio-user", "demo: kubelet started", "node demo Ready", "installing the DRA driver", "published 4 devices"]) expect(err).toContain(step);

      // Asynchronously: the up process's output must keep being read meanwhile.
      const cliAsync = (args: string[]) => run("bun", ["apps/cli/src/main.ts", ...args], { cwd: root, timeoutMs: 120_000 });
      const status = await cliAsync(["cluster", "status", "--run-dir", runDir]);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(/^ {2}demo +True +v\d+\.\d+\.\d+ /m);
      expect(status.stdout).toMatch(/^ {2}demo +mock-accel\.example\.com +mock0 mock0-vf0 mock0-vf1 mock1$/m);
      expect(status.stdout).toContain("Allocated devices\n  (none)");

      const down = await cliAsync(["cluster", "down", "--run-dir", runDir]);
      expect(down.code, `${down.stderr}\n--- cluster up's stderr:\n${err.slice(-3000)}`).toBe(0);
      expect(await exited).toBe(0);
      expect(existsSync(runDir)).toBe(false);
    } finally {
      if (up.exitCode === null) {
        up.kill("SIGTERM");
        await exited;
      }
    }
  }, 1_000_000);
});
