// `mock-accel cluster join` and `cluster leave` as two hosts would run them against a cluster
// the user already has: the project's control plane stands in for that cluster (started on
// its own, not by `cluster up`), and two joins with their own run directories, topologies and
// host names ($MOCK_ACCEL_HOST_NAME) each add one VM node. Both nodes Ready, each publishes its
// own devices, a Pod pinned to each node gets a device of that node; one host leaving takes
// only its node away.
//
// The README's `mock-accel cluster join examples/demo.yaml --kubeconfig "$HOME/.kube/config"` and
// `mock-accel cluster leave`, each "host" with its own topology, run directory and host name.
//
// The control plane routes API-server-to-kubelet traffic (logs, exec) only to nodes it is told
// about (cp.nodeRoutes); a joined node is not, as with a user's remote cluster, so nothing here
// uses `kubectl logs`: the claim's allocation and the Pod's phase say which device it got.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findKubernetes, HOST_LABEL, HOST_NAME_ENV, installCommand, readJoinState, startControlPlane, TOKEN_NAMESPACE, type ControlPlane, type JoinState } from "@mock-accel/cluster";
import { IMAGE_REFS } from "@mock-accel/node-image";
import { libvfioUserInstalled } from "@mock-accel/server";
import { assertAvailable, eventually, requirement } from "@mock-accel/testkit";
import { findVfioUserQemu } from "@mock-accel/vm-harness";
import { alive } from "../src/commands/cluster.ts";

const root = join(import.meta.dirname, "../../..");
const kube = requirement("Kubernetes components built from source", findKubernetes().ok, installCommand());
const lib = requirement("libvfio-user", libvfioUserInstalled(), "bash scripts/install-libvfio-user.sh");
const qemu = requirement("QEMU with vfio-user-pci", (await findVfioUserQemu()) !== null, "bash scripts/install-qemu-vfio-user.sh -v");
const skip = kube.skip || lib.skip || qemu.skip;

/** Two hosts, each with a one-VM topology of its own. */
const HOSTS = {
  "host-a": {
    topology: `vms:
  - name: accel
    numa_nodes:
      - node: 0
        cpus: 1
        memory: 1G
        pfs:
          - { uuid: host-a-pf0, memory: 16G, capabilities: [encryption] }
`,
    devices: 1,
    deviceClass: "mock-accel-pf",
  },
  "host-b": {
    topology: `vms:
  - name: accel
    numa_nodes:
      - node: 0
        cpus: 1
        memory: 1G
        pfs:
          - uuid: host-b-pf0
            memory: 32G
            capabilities: [compression]
            vfs:
              - { uuid: host-b-pf0-vf0, memory: 4G }
`,
    devices: 2,
    deviceClass: "mock-accel-vf",
  },
} as const;
type Host = keyof typeof HOSTS;
const nodeOf = (host: Host) => `${host}-accel`;

interface Join { child: ChildProcess; runDir: string; out: () => string; err: () => string; exit: Promise<number | null> }

/** A pod like examples/pods' one, pinned to `host`'s node by its host label. */
function podManifest(host: Host): string {
  const ns = `join-${host}`;
  return JSON.stringify({
    apiVersion: "v1", kind: "List", items: [
      { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
      { apiVersion: "resource.k8s.io/v1", kind: "ResourceClaimTemplate", metadata: { name: "accel", namespace: ns },
        spec: { spec: { devices: { requests: [{ name: "accel", exactly: { deviceClassName: HOSTS[host].deviceClass, allocationMode: "ExactCount", count: 1 } }] } } } },
      { apiVersion: "v1", kind: "Pod", metadata: { name: "workload", namespace: ns },
        spec: {
          nodeSelector: { [HOST_LABEL]: host },
          resourceClaims: [{ name: "accel", resourceClaimTemplateName: "accel" }],
          containers: [{ name: "workload", image: IMAGE_REFS.workload, imagePullPolicy: "Never",
            command: ["sh", "-c", "ls /dev/mock*; env | grep ^MOCK_ACCEL_; trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"],
            resources: { claims: [{ name: "accel" }] } }],
        } },
    ],
  });
}

describe.skipIf(skip)("mock-accel cluster join / leave: two hosts' VM nodes in one existing cluster", () => {
  let cp: ControlPlane;
  let dir: string;
  const joins = new Map<Host, Join>();
  const json = async <T>(args: string[]) => JSON.parse(await cp.kubectlOk([...args, "-o", "json"])) as T;

  function startJoin(host: Host): Join {
    const topology = join(dir, `${host}.yaml`);
    writeFileSync(topology, HOSTS[host].topology);
    const runDir = join(dir, `run-${host}`); // made by the join, so removed by it
    const child = spawn("nice", ["-n", "10", "bun", "apps/cli/src/main.ts", "cluster", "join", topology, "--kubeconfig", cp.kubeconfig, "--run-dir", runDir], {
      cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, [HOST_NAME_ENV]: host },
    });
    let out = "";
    let err = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const j = { child, runDir, out: () => out, err: () => err, exit };
    joins.set(host, j);
    return j;
  }

  async function joined(j: Join): Promise<void> {
    const ended = await Promise.race([
      eventually("join prints joined:", async () => (j.out().includes("joined:") ? "joined" : undefined), 1_200_000, 1000),
      j.exit.then((code) => `exited ${code}`),
    ]);
    if (ended !== "joined") throw new Error(`cluster join ${ended}:\n${j.err()}`);
  }

  beforeAll(async () => {
    for (const r of [kube, lib, qemu]) assertAvailable(r);
    dir = mkdtempSync(join(tmpdir(), "mock-accel-join-"));
    cp = await startControlPlane({ runDir: join(dir, "existing-cluster") });
    // One host after the other, as two people would; the second finds the driver installed.
    await joined(startJoin("host-a"));
    await joined(startJoin("host-b"));
  }, 2_700_000);

  afterAll(async () => {
    for (const j of joins.values()) {
      if (j.child.exitCode !== null || j.child.signalCode !== null) continue;
      j.child.kill("SIGTERM"); // the join leaves: drains, deletes, stops its VMs
      const timer = setTimeout(() => j.child.kill("SIGKILL"), 180_000);
      await j.exit;
      clearTimeout(timer);
    }
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 400_000);

  it("makes one Ready node per host, named and labelled for its host, and says so in its state file", async () => {
    for (const host of Object.keys(HOSTS) as Host[]) {
      const node = await json<{ metadata: { labels: Record<string, string> }; status: { conditions: { type: string; status: string }[] } }>(["get", "node", nodeOf(host)]);
      expect(node.status.conditions.find((c) => c.type === "Ready")?.status).toBe("True");
      expect(node.metadata.labels[HOST_LABEL]).toBe(host);
      expect(node.metadata.labels["mock-accel.dev/vm"]).toBe("accel");
      const state = readJoinState(joins.get(host)!.runDir) as JoinState;
      expect(state.host).toBe(host);
      expect(state.nodes.map((n) => n.name)).toEqual([nodeOf(host)]);
      expect(state.kubeconfig).toBe(cp.kubeconfig);
    }
    expect(joins.get("host-a")!.err()).toContain("DRA driver: installed");
    expect(joins.get("host-b")!.err()).toContain("DRA driver: already installed");
  });

  it("publishes each node's own devices in its own ResourceSlices", async () => {
    const slices = await json<{ items: { spec: { nodeName?: string; pool: { name: string }; devices?: { name: string }[] } }[] }>(["get", "resourceslices"]);
    for (const host of Object.keys(HOSTS) as Host[]) {
      const own = slices.items.filter((s) => s.spec.nodeName === nodeOf(host));
      expect(own.map((s) => s.spec.pool.name)).toEqual(own.map(() => nodeOf(host)));
      expect(own.flatMap((s) => s.spec.devices ?? [])).toHaveLength(HOSTS[host].devices);
    }
  });

  it("gives a Pod pinned to each node a device of that node", async () => {
    for (const host of Object.keys(HOSTS) as Host[]) await cp.kubectlOk(["apply", "-f", "-"], { input: podManifest(host) });
    for (const host of Object.keys(HOSTS) as Host[]) {
      const ns = `join-${host}`;
      const pod = await eventually(`pod on ${host} Running`, async () => {
        const p = await json<{ spec: { nodeName?: string }; status: { phase: string } }>(["get", "pod", "-n", ns, "workload"]);
        return p.status.phase === "Running" ? p : undefined;
      }, 600_000, 2000);
      expect(pod.spec.nodeName).toBe(nodeOf(host));
      const claims = await json<{ items: { status?: { allocation?: { devices?: { results?: { pool: string; device: string }[] } } } }[] }>(["get", "resourceclaims", "-n", ns]);
      const results = claims.items.flatMap((c) => c.status?.allocation?.devices?.results ?? []);
      expect(results).toHaveLength(1);
      expect(results[0]!.pool).toBe(nodeOf(host));
      const slices = await json<{ items: { spec: { nodeName?: string; devices?: { name: string }[] } }[] }>(["get", "resourceslices"]);
      const devices = slices.items.filter((s) => s.spec.nodeName === nodeOf(host)).flatMap((s) => (s.spec.devices ?? []).map((d) => d.name));
      expect(devices).toContain(results[0]!.device);
    }
  }, 1_300_000);

  it("leave takes one host's node away and leaves the other node and its Pod running", async () => {
    const b = await json<{ metadata: { uid: string } }>(["get", "pod", "-n", "join-host-b", "workload"]);
    const a = joins.get("host-a")!;
    const tokenId = readJoinState(a.runDir)!.tokenId;
    const leave = Bun.spawn(["bun", "apps/cli/src/main.ts", "cluster", "leave", "--run-dir", a.runDir], { cwd: root, stdout: "pipe", stderr: "pipe" });
    const timer = setTimeout(() => leave.kill("SIGKILL"), 400_000);
    const [leaveCode, leaveErr] = await Promise.all([leave.exited, new Response(leave.stderr).text()]);
    clearTimeout(timer);
    expect(leaveErr).toContain("left in");
    expect(leaveCode).toBe(0);
    expect(await a.exit).toBe(0);
    expect(a.err()).toContain("leaving: draining and deleting host-a-accel");
    expect((await cp.kubectl(["get", "node", nodeOf("host-a")])).stderr).toMatch(/NotFound/);
    expect((await cp.kubectl(["get", "secret", "-n", TOKEN_NAMESPACE, `bootstrap-token-${tokenId}`])).stderr).toMatch(/NotFound/);
    expect(existsSync(a.runDir)).toBe(false);
    // The slices of a deleted node go with it (owner reference); host-b's stay.
    const slices = await eventually("host-a's ResourceSlices gone", async () => {
      const s = await json<{ items: { spec: { nodeName?: string } }[] }>(["get", "resourceslices"]);
      return s.items.some((i) => i.spec.nodeName === nodeOf("host-a")) ? undefined : s;
    }, 120_000, 1000);
    expect(slices.items.filter((i) => i.spec.nodeName === nodeOf("host-b"))).not.toHaveLength(0);

    const node = await json<{ status: { conditions: { type: string; status: string }[] } }>(["get", "node", nodeOf("host-b")]);
    expect(node.status.conditions.find((c) => c.type === "Ready")?.status).toBe("True");
    const pod = await json<{ metadata: { uid: string }; status: { phase: string } }>(["get", "pod", "-n", "join-host-b", "workload"]);
    expect(pod.metadata.uid).toBe(b.metadata.uid);
    expect(pod.status.phase).toBe("Running");
    expect(joins.get("host-b")!.child.exitCode).toBeNull();
  }, 420_000);

  it("after a join killed outright its QEMU is gone with it, and leave deletes its node and revokes its token", async () => {
    const b = joins.get("host-b")!;
    const state = readJoinState(b.runDir)!;
    const qemuPid = state.nodes[0]!.qemuPid!;
    expect(alive(qemuPid)).toBe(true);
    b.child.kill("SIGKILL");
    await b.exit;
    // QEMU runs with a parent-death signal (setpriv): it goes with the join's process.
    await eventually("QEMU gone with the join's process", async () => (alive(qemuPid) ? undefined : true), 10_000);
    const leave = Bun.spawn(["bun", "apps/cli/src/main.ts", "cluster", "leave", "--run-dir", b.runDir], { cwd: root, stdout: "pipe", stderr: "pipe" });
    const [code, err] = await Promise.all([leave.exited, new Response(leave.stderr).text()]);
    expect(err).toContain(`the join's process ${state.pid} is gone`);
    expect(code, err).toBe(0);
    expect((await cp.kubectl(["get", "node", nodeOf("host-b")])).stderr).toMatch(/NotFound/);
    expect((await cp.kubectl(["get", "secret", "-n", TOKEN_NAMESPACE, `bootstrap-token-${state.tokenId}`])).stderr).toMatch(/NotFound/);
    expect(readJoinState(b.runDir)).toBeNull();
  }, 120_000);
});
