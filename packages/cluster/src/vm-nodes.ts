// A topology's VMs as nodes of a cluster given by an admin kubeconfig: the topology's devices
// served over vfio-user, one QEMU guest per VM, each kubelet joined with a bootstrap token
// (kubeadm's way), its serving certificate approved, and the DRA driver installed by Helm when
// the cluster does not have it. Used by `cluster up` (the project's own control plane) and
// `cluster join` (a cluster the user already has).
import { mkdirSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { IMAGE_REFS, type NodeImage } from "@mock-accel/node-image";
import { bringUp, type Running, type Topology } from "@mock-accel/topology";
import { run, type RunResult } from "@mock-accel/vm-harness";
import type { KubernetesBinaries } from "./binaries.ts";
import { bootstrapKubeconfig, createNodeJoin, revokeNodeJoin, type NodeJoinCredentials } from "./node-bootstrap.ts";
import { REPO_ROOT } from "@mock-accel/vm-harness";
import { startVmNode, type GuestNetwork, type VmNode } from "./vm-node.ts";

export const CHART_DIR = join(REPO_ROOT, "charts", "mock-accel");
export const DRIVER_NAMESPACE = "mock-accel";
export const DRIVER_RELEASE = "mock-accel";
/** Labels each VM node carries: its topology VM and the host it runs on. */
export const VM_LABEL = "mock-accel.dev/vm";
export const HOST_LABEL = "mock-accel.dev/host";

export type Kubectl = (args: string[], input?: string) => Promise<RunResult>;

/** kubectl with `kubeconfig`, throwing (with stderr) on failure when `ok` is used. */
export function kubectlFor(binaries: KubernetesBinaries, kubeconfig: string): { kubectl: Kubectl; ok: (args: string[], input?: string) => Promise<string> } {
  const kubectl: Kubectl = (args, input) => run(binaries.kubectl, ["--kubeconfig", kubeconfig, ...args], { input, timeoutMs: 120_000 });
  return {
    kubectl,
    ok: async (args, input) => {
      const r = await kubectl(args, input);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${r.code}: ${(r.stderr || r.stdout).trim()}`);
      return r.stdout;
    },
  };
}

export interface VmNodesOptions {
  topology: Topology;
  /** An admin kubeconfig of the cluster to join. */
  kubeconfig: string;
  binaries: KubernetesBinaries;
  qemu: string;
  image: NodeImage;
  /** A folder of this call's own: device sockets and node folders go in it. */
  runDir: string;
  network: GuestNetwork;
  /** Where QEMU's guest forward connects for the API server: "host:port" (loopback for ours). */
  apiServerTarget: string;
  /** Node name for a topology VM (default: the VM's name). */
  nodeName?: (vm: string) => string;
  /** Called once per node after its QEMU starts (e.g. to route the API server to its kubelet). */
  onNodeStarted?: (node: VmNode) => void;
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
  nodeReadyTimeoutMs?: number;
}

export interface VmNodes {
  readonly devices: Running;
  readonly nodes: readonly VmNode[];
  readonly join: NodeJoinCredentials;
  /** Stop the VMs and devices and revoke the join token (the Node objects stay: see deleteNodes). */
  stop(): Promise<void>;
  /** Cordon, evict and delete this call's Node objects from the cluster. */
  deleteNodes(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, failed?: () => string | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const why = failed?.();
    if (why) throw new Error(`${what}: ${why}`);
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not done after ${Math.round(timeoutMs / 1000)} s`);
    await sleep(1000);
  }
}

interface CsrObject { metadata: { name: string }; spec: { signerName: string; username: string }; status?: { conditions?: { type: string }[] } }
interface NodeObject { status?: { conditions?: { type: string; status: string }[] } }

/** Approve the kubelet serving-certificate requests of exactly these nodes (serverTLSBootstrap). */
async function approveServingCsrs(kubectl: Kubectl, nodes: ReadonlySet<string>): Promise<void> {
  const r = await kubectl(["get", "csr", "-o", "json"]);
  if (r.code !== 0) return;
  for (const c of (JSON.parse(r.stdout) as { items: CsrObject[] }).items) {
    const node = c.spec.username.startsWith("system:node:") ? c.spec.username.slice("system:node:".length) : undefined;
    if (c.spec.signerName !== "kubernetes.io/kubelet-serving" || node === undefined || !nodes.has(node) || (c.status?.conditions ?? []).length > 0) continue;
    await kubectl(["certificate", "approve", c.metadata.name]);
  }
}

/** Names this host instead of its host name (e.g. two "hosts" joining from one machine). */
export const HOST_NAME_ENV = "MOCK_ACCEL_HOST_NAME";

/** A DNS-label-safe form of this machine's host name (or of $MOCK_ACCEL_HOST_NAME), for node
 *  names that differ between hosts. */
export function hostLabel(): string {
  const name = process.env[HOST_NAME_ENV] || hostname();
  return name.toLowerCase().replace(/[^a-z0-9-]+/g, "-").slice(0, 40).replace(/^-+|-+$/g, "") || "host";
}

export async function startVmNodes(o: VmNodesOptions): Promise<VmNodes> {
  const say = o.onProgress ?? (() => {});
  const { kubectl } = kubectlFor(o.binaries, o.kubeconfig);
  const nodeName = o.nodeName ?? ((vm: string) => vm);
  const deviceDir = join(o.runDir, "devices");
  let devices: Running | undefined;
  let join_: NodeJoinCredentials | undefined;
  const nodes: VmNode[] = [];
  let approver: ReturnType<typeof setInterval> | undefined;
  const stop = async () => {
    clearInterval(approver);
    await Promise.all(nodes.map((n) => n.stop()));
    await devices?.close();
    if (join_) await revokeNodeJoin({ kubeconfig: o.kubeconfig, kubectl: o.binaries.kubectl, token: join_.token }).catch(() => {});
    for (const n of nodes) rmSync(join(o.runDir, "nodes", n.name), { recursive: true, force: true });
    rmSync(join(o.runDir, "nodes"), { recursive: true, force: true });
  };
  try {
    devices = await bringUp(o.topology, { transport: "vfio-user", runDir: deviceDir });
    say(`devices: ${devices.devices.length} served over vfio-user`);
    join_ = await createNodeJoin({ kubeconfig: o.kubeconfig, kubectl: o.binaries.kubectl, description: `mock-accel nodes of ${o.topology.file} on ${hostLabel()}` });
    const bootstrap = bootstrapKubeconfig(join_, { server: `https://${o.network.apiServerAddress}:${o.network.apiServerPort}` });
    const served = devices.devices;
    for (const [index, vm] of o.topology.vms.entries()) {
      const vfs: Record<string, number> = {};
      for (const numa of vm.numaNodes) for (const p of numa.pfs) {
        const pf = served.find((s) => s.device === p.pf);
        if (pf && p.vfs.length > 0) vfs[pf.uuid] = p.vfs.length;
      }
      const name = nodeName(vm.name);
      mkdirSync(join(o.runDir, "nodes"), { recursive: true });
      const node = await startVmNode({
        qemu: o.qemu, image: o.image, vm, index, network: o.network, deviceRunDir: deviceDir,
        nodeDir: join(o.runDir, "nodes", name), nodeName: name, apiServerTarget: o.apiServerTarget,
        bootstrapKubeconfig: bootstrap, caPem: join_.caPem,
        labels: { [VM_LABEL]: vm.name, [HOST_LABEL]: hostLabel() }, vfs,
        onConsoleLine: (line) => say(`${name}: ${line.replace(/^@@mock-accel-node /, "")}`),
      });
      nodes.push(node);
      o.onNodeStarted?.(node);
    }
    say(`${nodes.length} VM${nodes.length === 1 ? "" : "s"} booting (QEMU TCG)`);
    const names = new Set(nodes.map((n) => n.name));
    const t0 = Date.now();
    await Promise.all(nodes.map(async (node) => {
      let failure: string | undefined;
      node.kubeletStarted.catch((err: Error) => (failure = err.message));
      void node.exited.then((why) => (failure ??= why));
      await until(`node ${node.name} Ready`, o.nodeReadyTimeoutMs ?? 600_000, async () => {
        await approveServingCsrs(kubectl, names);
        const r = await kubectl(["get", "node", node.name, "-o", "json"]);
        if (r.code !== 0) return undefined;
        return (JSON.parse(r.stdout) as NodeObject).status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ? true : undefined;
      }, () => (o.signal?.aborted ? "interrupted" : failure));
      say(`node ${node.name} Ready (${((Date.now() - t0) / 1000).toFixed(0)} s after its VM started)`);
    }));
    await approveServingCsrs(kubectl, names);
    // A kubelet may ask for its serving certificate after its node is Ready, and asks again to
    // renew it: keep approving its requests while the nodes run (logs and exec need it).
    approver = setInterval(() => void approveServingCsrs(kubectl, names).catch(() => {}), 5_000);
    approver.unref();
    const joined = join_;
    const running = devices;
    return {
      devices: running, nodes, join: joined, stop,
      async deleteNodes() {
        for (const n of nodes) {
          await kubectl(["drain", n.name, "--ignore-daemonsets", "--delete-emptydir-data", "--force", "--timeout=60s"]);
          await kubectl(["delete", "node", n.name, "--ignore-not-found", "--wait=false"]);
        }
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Installs the DRA driver with the chart unless a release of it is already there (then checks its version). */
export async function ensureDriverInstalled(o: {
  binaries: KubernetesBinaries; kubeconfig: string; helmHome: string; onProgress?: (line: string) => void;
}): Promise<"installed" | "already installed"> {
  const { kubectl, ok } = kubectlFor(o.binaries, o.kubeconfig);
  mkdirSync(o.helmHome, { recursive: true });
  const helm = (args: string[]) => run(o.binaries.helm, ["--kubeconfig", o.kubeconfig, ...args], {
    env: { ...process.env, HELM_CACHE_HOME: join(o.helmHome, "cache"), HELM_CONFIG_HOME: join(o.helmHome, "config"), HELM_DATA_HOME: join(o.helmHome, "data") },
    timeoutMs: 600_000,
  });
  const chartVersion = /^version:\s*(\S+)/m.exec(await Bun.file(join(CHART_DIR, "Chart.yaml")).text())?.[1];
  const installedRelease = async (): Promise<{ chart: string } | undefined> => {
    const listed = await helm(["list", "--namespace", DRIVER_NAMESPACE, "--filter", `^${DRIVER_RELEASE}$`, "-o", "json"]);
    return listed.code === 0 ? (JSON.parse(listed.stdout || "[]") as { chart: string }[])[0] : undefined;
  };
  const existing = await installedRelease();
  if (existing) {
    if (existing.chart !== `mock-accel-${chartVersion}`) throw new Error(`the cluster has the DRA driver chart ${existing.chart}, this checkout's is mock-accel-${chartVersion}: upgrade it (helm upgrade ${DRIVER_RELEASE} ${CHART_DIR} -n ${DRIVER_NAMESPACE}) or use a matching checkout`);
    return "already installed";
  }
  o.onProgress?.("installing the DRA driver with the Helm chart");
  if ((await kubectl(["get", "namespace", DRIVER_NAMESPACE])).code !== 0) await ok(["create", "namespace", DRIVER_NAMESPACE]);
  await ok(["label", "--overwrite", "namespace", DRIVER_NAMESPACE, "pod-security.kubernetes.io/enforce=privileged"]);
  const at = IMAGE_REFS.driver.lastIndexOf(":");
  const r = await helm(["install", DRIVER_RELEASE, CHART_DIR, "--namespace", DRIVER_NAMESPACE,
    "--set", `image.repository=${IMAGE_REFS.driver.slice(0, at)}`, "--set", `image.tag=${IMAGE_REFS.driver.slice(at + 1)}`,
    // Nodes import the image from a file; VM nodes have no kube-proxy, so only the host network reaches the API server.
    "--set", "image.pullPolicy=Never", "--set", "hostNetwork=true",
    // Only on the VM nodes: other nodes of a user's cluster have no mock devices (and not the image).
    "--set-json", `affinity=${JSON.stringify({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: VM_LABEL, operator: "Exists" }] }] } } })}`]);
  if (r.code !== 0) {
    // Another host joining the same cluster at the same moment may have installed it first.
    if ((await installedRelease())?.chart === `mock-accel-${chartVersion}`) return "already installed";
    throw new Error(`helm install ${CHART_DIR} failed: ${(r.stderr || r.stdout).trim()}`);
  }
  return "installed";
}
