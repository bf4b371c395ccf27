// A whole cluster whose nodes are a topology's VMs: the control plane on loopback, the
// topology's mock devices served over vfio-user, one QEMU guest per VM joined as a node (TLS
// bootstrap with a bootstrap token, as kubeadm joins), and the DRA driver installed with the
// Helm chart. Stopped in reverse; every file it made goes, and nothing else.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { IMAGE_REFS, nodeImage, type NodeImage } from "@mock-accel/node-image";
import { bringUp, loadTopologyFile, type Running, type Topology } from "@mock-accel/topology";
import { findVfioUserQemu, REPO_ROOT, run } from "@mock-accel/vm-harness";
import { requireKubernetes } from "./binaries.ts";
import { startControlPlane, type ControlPlane } from "./control-plane.ts";
import { bootstrapKubeconfig, createNodeJoin } from "./node-bootstrap.ts";
import { DEFAULT_GUEST_NETWORK, KUBELET_PORT, startVmNode, type VmNode } from "./vm-node.ts";

export const CHART_DIR = join(REPO_ROOT, "charts", "mock-accel");
export const DRIVER_NAMESPACE = "mock-accel";
export const DRIVER_RELEASE = "mock-accel";
/** The label each VM node carries naming its topology VM. */
export const VM_LABEL = "mock-accel.dev/vm";
/** What `cluster up` leaves in its run directory for `cluster status` and `cluster down`. */
export const STATE_FILE = "cluster.json";

export interface VmClusterOptions {
  topologyFile: string;
  /** New or empty; holds the control plane, device sockets, node logs and the state file. */
  runDir: string;
  /** OCI archives every node imports at boot (the driver, pause and workload images). */
  images: readonly string[];
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
  /** How long each node may take from QEMU's start to Ready. Default 600 s. */
  nodeReadyTimeoutMs?: number;
}

export interface VmClusterState {
  pid: number;
  kubeconfig: string;
  server: string;
  topology: string;
  nodes: { name: string; vm: string; ip: string; kubeletPort: number; console: string }[];
}

export interface VmCluster {
  readonly controlPlane: ControlPlane;
  readonly nodes: readonly VmNode[];
  readonly devices: Running;
  readonly topology: Topology;
  readonly image: NodeImage;
  readonly kubeconfig: string;
  readonly statePath: string;
  /** helm with this cluster's kubeconfig and its own cache/config folders. */
  helm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, failed?: () => string | undefined): Promise<T> {
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

interface NodeCondition { type: string; status: string }
interface NodeObject { metadata: { name: string }; status?: { conditions?: NodeCondition[] } }
interface CsrObject { metadata: { name: string }; spec: { signerName: string; username: string }; status?: { conditions?: { type: string }[] } }

/** Serving-certificate requests of `nodes` still waiting for a decision (the kubelet's serverTLSBootstrap). */
async function approveServingCsrs(cp: ControlPlane, nodes: ReadonlySet<string>): Promise<number> {
  const list = JSON.parse(await cp.kubectlOk(["get", "csr", "-o", "json"])) as { items: CsrObject[] };
  const pending = list.items.filter((c) =>
    c.spec.signerName === "kubernetes.io/kubelet-serving" &&
    nodes.has(c.spec.username.replace(/^system:node:/, "")) && c.spec.username.startsWith("system:node:") &&
    !(c.status?.conditions ?? []).length);
  for (const c of pending) await cp.kubectlOk(["certificate", "approve", c.metadata.name]);
  return pending.length;
}

export async function startVmCluster(o: VmClusterOptions): Promise<VmCluster> {
  const say = o.onProgress ?? (() => {});
  const topology = loadTopologyFile(o.topologyFile);
  if (existsSync(o.runDir) && readdirSync(o.runDir).length > 0) throw new Error(`${o.runDir}: not empty; cluster up keeps everything of one cluster in a folder of its own (pass a new or empty --run-dir)`);
  const madeRunDir = !existsSync(o.runDir);
  mkdirSync(o.runDir, { recursive: true });
  const qemu = await findVfioUserQemu();
  if (!qemu) throw new Error("no QEMU with vfio-user-pci: bash scripts/install-qemu-vfio-user.sh -v");

  let cp: ControlPlane | undefined;
  let devices: Running | undefined;
  const nodes: VmNode[] = [];
  const helmHome = join(o.runDir, "helm");
  const statePath = join(o.runDir, STATE_FILE);
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await devices?.close();
    await cp?.stop();
    for (const n of nodes) rmSync(join(o.runDir, "nodes", n.name), { recursive: true, force: true });
    for (const p of [join(o.runDir, "nodes"), helmHome, statePath]) rmSync(p, { recursive: true, force: true });
    if (madeRunDir) rmSync(o.runDir, { recursive: true, force: true });
    else for (const d of ["devices", "control-plane"]) if (existsSync(join(o.runDir, d)) && readdirSync(join(o.runDir, d)).length === 0) rmSync(join(o.runDir, d), { recursive: true });
  };
  const aborted = () => (o.signal?.aborted ? "interrupted" : undefined);
  try {
    const t0 = Date.now();
    const [image, plane] = await Promise.all([
      nodeImage({ kubelet: requireKubernetes().kubelet, images: o.images, onProgress: say }),
      startControlPlane({ runDir: join(o.runDir, "control-plane"), onProgress: (l) => say(`control plane: ${l}`), signal: o.signal }),
    ]);
    cp = plane;
    if (aborted()) throw new Error("interrupted");
    devices = await bringUp(topology, { transport: "vfio-user", runDir: join(o.runDir, "devices") });
    say(`devices: ${devices.devices.length} served over vfio-user`);
    const creds = await createNodeJoin({ kubeconfig: cp.kubeconfig, kubectl: cp.binaries.kubectl, description: `mock-accel cluster up ${topology.file}` });
    const network = DEFAULT_GUEST_NETWORK;
    const bootstrap = bootstrapKubeconfig(creds, { server: `https://${network.apiServerAddress}:${network.apiServerPort}` });
    const served = devices.devices;
    for (const [index, vm] of topology.vms.entries()) {
      const vfs: Record<string, number> = {};
      for (const numa of vm.numaNodes) for (const p of numa.pfs) {
        const pf = served.find((s) => s.device === p.pf);
        if (pf && p.vfs.length > 0) vfs[pf.uuid] = p.vfs.length;
      }
      const node = await startVmNode({
        qemu, image, vm, index, network,
        deviceRunDir: join(o.runDir, "devices"),
        nodeDir: join(o.runDir, "nodes", vm.name),
        nodeName: vm.name,
        apiServerTarget: `127.0.0.1:${cp.ports.apiServer}`,
        bootstrapKubeconfig: bootstrap,
        caPem: creds.caPem,
        labels: { [VM_LABEL]: vm.name },
        vfs,
        onConsoleLine: (line) => say(`${vm.name}: ${line.replace(/^@@mock-accel-node /, "")}`),
      });
      nodes.push(node);
      // The API server dials a node by the first address type it prefers (Hostname by default).
      for (const address of [node.ip, node.name]) cp.nodeRoutes.add(`${address}:${KUBELET_PORT}`, node.kubeletPort);
    }
    say(`${nodes.length} VM${nodes.length === 1 ? "" : "s"} booting (QEMU TCG)`);
    const names = new Set(nodes.map((n) => n.name));
    const timeout = o.nodeReadyTimeoutMs ?? 600_000;
    await Promise.all(nodes.map(async (node) => {
      let failure: string | undefined;
      node.kubeletStarted.catch((err: Error) => (failure = err.message));
      void node.exited.then((why) => (failure ??= why));
      await until(`node ${node.name} Ready`, timeout, async () => {
        await approveServingCsrs(cp!, names);
        const r = await cp!.kubectl(["get", "node", node.name, "-o", "json"]);
        if (r.code !== 0) return undefined;
        const n = JSON.parse(r.stdout) as NodeObject;
        return n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ? true : undefined;
      }, () => aborted() ?? failure);
      say(`node ${node.name} Ready (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }));
    await approveServingCsrs(cp, names);

    mkdirSync(helmHome, { recursive: true });
    const helm = (args: string[]) => run(cp!.binaries.helm, args, {
      env: { ...process.env, KUBECONFIG: cp!.kubeconfig, HELM_CACHE_HOME: join(helmHome, "cache"), HELM_CONFIG_HOME: join(helmHome, "config"), HELM_DATA_HOME: join(helmHome, "data") },
      timeoutMs: 600_000,
    });
    say("installing the DRA driver with the Helm chart");
    await cp.kubectlOk(["create", "namespace", DRIVER_NAMESPACE]);
    await cp.kubectlOk(["label", "namespace", DRIVER_NAMESPACE, "pod-security.kubernetes.io/enforce=privileged"]);
    const [repository, tag] = splitRef(IMAGE_REFS.driver);
    const installed = await helm(["install", DRIVER_RELEASE, CHART_DIR, "--namespace", DRIVER_NAMESPACE, "--set", `image.repository=${repository}`, "--set", `image.tag=${tag}`, "--set", "image.pullPolicy=Never", "--set", "hostNetwork=true"]);
    if (installed.code !== 0) throw new Error(`helm install ${CHART_DIR} failed: ${(installed.stderr || installed.stdout).trim()}`);
    const expected = devicesPublished(topology);
    await until("the DRA driver's ResourceSlices", timeout, async () => {
      const r = await cp!.kubectl(["get", "resourceslices", "-o", "json"]);
      if (r.code !== 0) return undefined;
      const slices = JSON.parse(r.stdout) as { items: { spec: { nodeName?: string; devices?: unknown[] } }[] };
      const count = slices.items.reduce((s, i) => s + (i.spec.devices?.length ?? 0), 0);
      return count >= expected ? count : undefined;
    }, aborted);
    say(`DRA driver published ${expected} devices; cluster ready in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

    const state: VmClusterState = {
      pid: process.pid, kubeconfig: cp.kubeconfig, server: cp.server, topology: topology.file,
      nodes: nodes.map((n, i) => ({ name: n.name, vm: topology.vms[i]!.name, ip: n.ip, kubeletPort: n.kubeletPort, console: n.consoleLog })),
    };
    writeFileSync(statePath, `${JSON.stringify(state, null, 2)}\n`);
    const planeRef = cp;
    const devicesRef = devices;
    return { controlPlane: planeRef, nodes, devices: devicesRef, topology, image, kubeconfig: planeRef.kubeconfig, statePath, helm, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Devices a topology's nodes publish: every PF, and every VF (the boot script enables them all). */
export function devicesPublished(topology: Topology): number {
  return topology.vms.reduce((s, vm) => s + vm.numaNodes.reduce((t, n) => t + n.pfs.reduce((u, p) => u + 1 + p.vfs.length, 0), 0), 0);
}

function splitRef(ref: string): [string, string] {
  const at = ref.lastIndexOf(":");
  return [ref.slice(0, at), ref.slice(at + 1)];
}

/** The state `cluster up` wrote in `runDir`, or null. */
export function readVmClusterState(runDir: string): VmClusterState | null {
  const path = join(runDir, STATE_FILE);
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as VmClusterState) : null;
}
