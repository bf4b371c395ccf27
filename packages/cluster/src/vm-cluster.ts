// `cluster up`: a whole cluster whose nodes are a topology's VMs: the control plane on
// loopback, the VM nodes joined to it (vm-nodes.ts), and the DRA driver installed with the Helm
// chart. The API server reaches each kubelet through its loopback forward (node routes).
// Stopped in reverse; every file it made goes, and nothing else.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { nodeImage, type NodeImage } from "@mock-accel/node-image";
import { allDevices, loadTopologyFile, type Running, type Topology } from "@mock-accel/topology";
import { findVfioUserQemu } from "@mock-accel/vm-harness";
import { requireKubernetes } from "./binaries.ts";
import { startControlPlane, type ControlPlane } from "./control-plane.ts";
import { DEFAULT_GUEST_NETWORK, KUBELET_PORT, type VmNode } from "./vm-node.ts";
import { ensureDriverInstalled, kubectlFor, startVmNodes, until, type VmNodes } from "./vm-nodes.ts";

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
  nodes: { name: string; ip: string; kubeletPort: number; console: string }[];
}

export interface VmCluster {
  readonly controlPlane: ControlPlane;
  readonly nodes: readonly VmNode[];
  readonly devices: Running;
  readonly topology: Topology;
  readonly image: NodeImage;
  readonly kubeconfig: string;
  readonly statePath: string;
  stop(): Promise<void>;
}

/** Devices a topology's nodes publish: every PF, and every VF (the boot script enables them all). */
export function devicesPublished(topology: Topology): number {
  return topology.vms.flatMap(allDevices).length;
}

/** Wait until the DRA driver publishes at least `expected` devices in ResourceSlices. */
export async function waitForSlices(kubectl: ReturnType<typeof kubectlFor>["kubectl"], expected: number, timeoutMs: number, failed?: () => string | undefined): Promise<number> {
  return until("the DRA driver's ResourceSlices", timeoutMs, async () => {
    const r = await kubectl(["get", "resourceslices", "-o", "json"]);
    if (r.code !== 0) return undefined;
    const slices = JSON.parse(r.stdout) as { items: { spec: { devices?: unknown[] } }[] };
    const count = slices.items.reduce((s, i) => s + (i.spec.devices?.length ?? 0), 0);
    return count >= expected ? count : undefined;
  }, failed);
}

export async function startVmCluster(o: VmClusterOptions): Promise<VmCluster> {
  const say = o.onProgress ?? (() => {});
  const topology = loadTopologyFile(o.topologyFile);
  if (existsSync(o.runDir) && readdirSync(o.runDir).length > 0) throw new Error(`${o.runDir}: not empty; cluster up keeps everything of one cluster in a folder of its own (pass a new or empty --run-dir)`);
  const madeRunDir = !existsSync(o.runDir);
  const qemu = await findVfioUserQemu();
  if (!qemu) throw new Error("no QEMU with vfio-user-pci: bash scripts/install-qemu-vfio-user.sh -v");
  const binaries = requireKubernetes();
  mkdirSync(o.runDir, { recursive: true });

  let cp: ControlPlane | undefined;
  let vmNodes: VmNodes | undefined;
  const helmHome = join(o.runDir, "helm");
  const statePath = join(o.runDir, STATE_FILE);
  const stop = async () => {
    await vmNodes?.stop();
    await cp?.stop();
    for (const p of [helmHome, statePath]) rmSync(p, { recursive: true, force: true });
    if (madeRunDir) rmSync(o.runDir, { recursive: true, force: true });
    else for (const d of ["devices", "control-plane"]) if (existsSync(join(o.runDir, d)) && readdirSync(join(o.runDir, d)).length === 0) rmSync(join(o.runDir, d), { recursive: true });
  };
  const aborted = () => (o.signal?.aborted ? "interrupted" : undefined);
  try {
    const t0 = Date.now();
    const [image, plane] = await Promise.all([
      nodeImage({ kubelet: binaries.kubelet, images: o.images, onProgress: say }),
      startControlPlane({ runDir: join(o.runDir, "control-plane"), onProgress: (l) => say(`control plane: ${l}`), signal: o.signal }),
    ]);
    cp = plane;
    if (aborted()) throw new Error("interrupted");
    const routes = plane.nodeRoutes;
    vmNodes = await startVmNodes({
      topology, kubeconfig: plane.kubeconfig, binaries, qemu, image, runDir: o.runDir, network: DEFAULT_GUEST_NETWORK,
      apiServerTarget: `127.0.0.1:${plane.ports.apiServer}`,
      // The API server dials a node by the first address type it prefers (Hostname by default).
      onNodeStarted: (node) => { for (const address of [node.ip, node.name]) routes.add(`${address}:${KUBELET_PORT}`, node.kubeletPort); },
      onProgress: say, signal: o.signal, nodeReadyTimeoutMs: o.nodeReadyTimeoutMs,
    });
    await ensureDriverInstalled({ binaries, kubeconfig: plane.kubeconfig, helmHome, onProgress: say });
    const expected = devicesPublished(topology);
    await waitForSlices(kubectlFor(binaries, plane.kubeconfig).kubectl, expected, o.nodeReadyTimeoutMs ?? 600_000, aborted);
    say(`DRA driver published ${expected} devices; cluster ready in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    const state: VmClusterState = {
      pid: process.pid, kubeconfig: plane.kubeconfig, server: plane.server, topology: topology.file,
      nodes: vmNodes.nodes.map((n) => ({ name: n.name, ip: n.ip, kubeletPort: n.kubeletPort, console: n.consoleLog })),
    };
    writeFileSync(statePath, `${JSON.stringify(state, null, 2)}\n`);
    return { controlPlane: plane, nodes: vmNodes.nodes, devices: vmNodes.devices, topology, image, kubeconfig: plane.kubeconfig, statePath, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The state `cluster up` wrote in `runDir`, or null. */
export function readVmClusterState(runDir: string): VmClusterState | null {
  const path = join(runDir, STATE_FILE);
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as VmClusterState) : null;
}
