// The control plane as a user and the other tests meet it: it starts on loopback from the
// components scripts/install-kubernetes.sh built, answers kubectl with resource.k8s.io/v1, and
// stops leaving no process, port or file behind.
import { assertAvailable, eventually, requirement } from "@mock-accel/testkit";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findKubernetes, installCommand, pinnedVersions, startControlPlane, type ControlPlane } from "../src/index.ts";

const found = findKubernetes();
const kube = requirement("Kubernetes components built from source", found.ok, installCommand());
const root = join(import.meta.dirname, "..", "..", "..");

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

describe.skipIf(kube.skip)("a control plane on loopback", () => {
  let plane: ControlPlane;
  const progress: string[] = [];
  beforeAll(async () => {
    assertAvailable(kube);
    plane = await startControlPlane({ onProgress: (l) => progress.push(l) });
  });
  afterAll(async () => {
    await plane?.stop();
  });

  it("reports each step as it goes", () => {
    for (const step of ["certificates", "etcd", "kube-apiserver", "kube-scheduler"]) expect(progress.join("\n")).toContain(step);
    expect(progress.at(-1)).toMatch(/^control plane ready in \d+\.\d s$/);
  });

  it("serves the pinned release with resource.k8s.io/v1, and kubectl talks to it", async () => {
    const version = JSON.parse(await plane.kubectlOk(["version", "-o", "json"])) as { clientVersion: { gitVersion: string }; serverVersion: { gitVersion: string } };
    expect(version.serverVersion.gitVersion).toBe(`v${pinnedVersions().kubernetes}`);
    expect(version.clientVersion.gitVersion).toBe(`v${pinnedVersions().kubernetes}`);
    const resources = await plane.kubectlOk(["api-resources", "--api-group=resource.k8s.io", "-o", "name"]);
    for (const r of ["deviceclasses.resource.k8s.io", "resourceclaims.resource.k8s.io", "resourceclaimtemplates.resource.k8s.io", "resourceslices.resource.k8s.io"]) expect(resources).toContain(r);
    const versions = await plane.kubectlOk(["api-versions"]);
    expect(versions.split("\n")).toContain("resource.k8s.io/v1");
  });

  it("listens on loopback only", async () => {
    for (const port of Object.values(plane.ports)) {
      const ss = spawnSync("ss", ["-Hltn", `sport = :${port}`], { encoding: "utf8" });
      if (ss.status !== 0) continue; // no iproute2: the connect checks below still hold
      for (const line of ss.stdout.trim().split("\n").filter(Boolean)) expect(line).toMatch(/127\.0\.0\.1:\d+/);
    }
    expect(await portOpen(plane.ports.apiServer)).toBe(true);
  });

  it("authenticates client certificates its CA signed; without one a caller is anonymous and may do nothing", async () => {
    const viewer = await plane.kubeconfigFor("viewer", "jane", []);
    const r = spawnSync(plane.binaries.kubectl, ["auth", "can-i", "list", "resourceslices"], { encoding: "utf8", env: { ...process.env, KUBECONFIG: viewer } });
    // Authenticated as jane (RBAC gives her nothing), not refused at TLS.
    expect(r.stdout.trim()).toBe("no");
    const anonymous = await fetch(`${plane.server}/api/v1/namespaces`, { tls: { ca: readFileSync(plane.pki.ca.cert, "utf8") } } as RequestInit);
    expect(anonymous.status).toBe(403);
    expect(((await anonymous.json()) as { message: string }).message).toContain(`User "system:anonymous" cannot list resource "namespaces"`);
  });

  it("schedules a Pod onto a registered Node (the scheduler and controllers run)", async () => {
    await plane.kubectlOk(["apply", "-f", "-"], {
      input: JSON.stringify({
        apiVersion: "v1", kind: "Node", metadata: { name: "cp-test-node", labels: { "kubernetes.io/hostname": "cp-test-node" } },
      }),
    });
    const status = { capacity: { cpu: "2", memory: "4Gi", pods: "10" }, allocatable: { cpu: "2", memory: "4Gi", pods: "10" }, conditions: [{ type: "Ready", status: "True", reason: "Test", lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() }] };
    const patched = await plane.request("PATCH", "/api/v1/nodes/cp-test-node/status", { status });
    expect(patched.status).toBe(200);
    await plane.kubectlOk(["run", "cp-test-pod", "--image=example.invalid/none", "--restart=Never", "--overrides", JSON.stringify({ spec: { tolerations: [{ operator: "Exists" }] } })]);
    const node = await eventually("the scheduler to bind cp-test-pod", async () => (await plane.kubectlOk(["get", "pod", "cp-test-pod", "-o", "jsonpath={.spec.nodeName}"])).trim() || undefined, 60_000, 500);
    expect(node).toBe("cp-test-node");
    await plane.kubectlOk(["delete", "pod", "cp-test-pod", "--wait=false"]);
    await plane.kubectlOk(["delete", "node", "cp-test-node"]);
  });
});

describe.skipIf(kube.skip)("stopping and refusing", () => {
  it("stop leaves no process, no listening port and no file", async () => {
    assertAvailable(kube);
    const plane = await startControlPlane();
    const pids = plane.components.map((c) => c.pid);
    expect(pids.every(alive)).toBe(true);
    await plane.stop();
    expect(pids.filter(alive)).toEqual([]);
    for (const port of Object.values(plane.ports)) expect(await portOpen(port)).toBe(false);
    expect(existsSync(plane.runDir)).toBe(false);
  });

  it("refuses a run directory with someone else's files in it, and touches nothing there", async () => {
    assertAvailable(kube);
    const dir = mkdtempSync(join(tmpdir(), "mock-accel-cp-user-"));
    try {
      writeFileSync(join(dir, "notes.txt"), "mine");
      await expect(startControlPlane({ runDir: dir })).rejects.toThrow(/not empty/);
      expect(readdirSync(dir)).toEqual(["notes.txt"]);
      // An empty folder of the user's: used, then emptied, but the folder itself stays.
      const empty = join(dir, "empty");
      mkdirSync(empty);
      const plane = await startControlPlane({ runDir: empty });
      expect(readdirSync(empty)).toContain("admin.kubeconfig");
      await plane.stop();
      expect(existsSync(empty)).toBe(true);
      expect(readdirSync(empty)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("`mock-accel cluster control-plane` prints KUBECONFIG=, and SIGINT stops everything", async () => {
    assertAvailable(kube);
    const parent = mkdtempSync(join(tmpdir(), "mock-accel-cp-cli-"));
    const runDir = join(parent, "run");
    try {
      const child = spawn("bun", ["apps/cli/src/main.ts", "cluster", "control-plane", "--run-dir", runDir], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
      const kubeconfig = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (b: Buffer) => {
          stdout += b.toString();
          const m = /^KUBECONFIG=(.+)$/m.exec(stdout);
          if (m) resolve(m[1]!);
        });
        child.once("exit", (code) => reject(new Error(`exited ${code} before printing KUBECONFIG: ${stderr}`)));
      });
      expect(kubeconfig).toBe(join(runDir, "admin.kubeconfig"));
      expect(stderr).toContain("kube-apiserver");
      const r = spawnSync(found.ok ? found.binaries.kubectl : "kubectl", ["get", "--raw", "/readyz"], { encoding: "utf8", env: { ...process.env, KUBECONFIG: kubeconfig } });
      expect(r.stdout.trim()).toBe("ok");
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      child.kill("SIGINT");
      expect(await exited).toBe(0);
      expect(existsSync(runDir)).toBe(false);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});

describe("scripts/install-kubernetes.sh", () => {
  const script = join(root, "scripts", "install-kubernetes.sh");
  const sh = (args: string[], env: Record<string, string> = {}) => spawnSync("bash", [script, ...args], { encoding: "utf8", env: { ...process.env, ...env } });

  it("--help is true to the flags", () => {
    const r = sh(["--help"]);
    expect(r.status).toBe(0);
    for (const flag of ["-v", "--version", "--helm-version"]) expect(r.stdout).toContain(flag);
  });

  it("refuses a release without resource.k8s.io/v1, a malformed version and unknown flags, before building anything", () => {
    const empty = mkdtempSync(join(tmpdir(), "mock-accel-k8s-install-"));
    try {
      const old = sh(["--version", "1.33.4"], { MOCK_ACCEL_CACHE: empty });
      expect(old.status).toBe(1);
      expect(old.stderr).toContain("resource.k8s.io/v1");
      const bad = sh(["--version", "latest"], { MOCK_ACCEL_CACHE: empty });
      expect(bad.status).toBe(1);
      expect(bad.stderr).toContain("expected 1.MINOR.PATCH");
      const flag = sh(["--frobnicate"], { MOCK_ACCEL_CACHE: empty });
      expect(flag.status).toBe(2);
      expect(readdirSync(empty)).toEqual([]);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it.skipIf(kube.skip)("once built, prints the bin directory and builds nothing", () => {
    assertAvailable(kube);
    const r = sh([]);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(found.ok ? found.binaries.dir : "");
    expect(r.stderr).toBe("");
  });
});
