// `cluster join`: a topology's VMs as nodes of a cluster the user already has (any conformant
// cluster, given an admin kubeconfig), from as many hosts as they like. The guest network is
// built around that cluster's `kubernetes` Service address, QEMU forwards it to the API server
// named in the kubeconfig (so only this host has to reach the API server, and nothing listens
// on a non-loopback address), node names carry the host's name, the DRA driver is installed
// by Helm once per cluster. Leaving drains and deletes exactly this host's nodes.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { nodeImage } from "@mock-accel/node-image";
import { loadTopologyFile, type Running, type Topology } from "@mock-accel/topology";
import { findVfioUserQemu } from "@mock-accel/vm-harness";
import { findKubernetes, installCommand, pinnedVersions, requireKubernetes, type KubernetesBinaries } from "./binaries.ts";
import { TOKEN_NAMESPACE } from "./node-bootstrap.ts";
import { devicesPublished } from "./vm-cluster.ts";
import { guestNetworkFor, type GuestNetwork, type VmNode } from "./vm-node.ts";
import { ensureDriverInstalled, hostLabel, kubectlFor, startVmNodes, until, type Kubectl, type VmNodes } from "./vm-nodes.ts";

/** What `cluster join` leaves in its run directory for `cluster leave` and `cluster status`. */
export const JOIN_STATE_FILE = "join.json";

export interface JoinState {
  pid: number;
  kubeconfig: string;
  server: string;
  topology: string;
  host: string;
  /** The bootstrap token's id (its Secret is bootstrap-token-<id> in kube-system); not the secret. */
  tokenId: string;
  nodes: { name: string; ip: string; kubeletPort: number; console: string; qemuPid?: number }[];
}

/** What the join needs to know about the cluster before it starts anything. */
export interface JoinTarget {
  /** The API server URL the kubeconfig names. */
  server: string;
  /** host:port QEMU's guest forward connects to (from the server URL). */
  apiServerTarget: string;
  /** The `kubernetes` Service ClusterIP: the guest dials the API server there. */
  serviceIp: string;
  serverVersion: string;
  network: GuestNetwork;
}

/**
 * What the kubeconfig's user must be allowed: read the `kubernetes` Service, watch its nodes
 * come and go, approve their kubelet-serving certificates, drain them, see their
 * ResourceSlices, and what createNodeJoin needs (a bootstrap token Secret and the
 * TLS-bootstrap ClusterRoleBindings). Installing the DRA
 * driver (when the cluster has none) needs cluster-admin: the chart creates a namespace,
 * ClusterRoles, DeviceClasses and a ValidatingAdmissionPolicy.
 */
export const JOIN_NEEDS: readonly { verb: string; resource: string; namespace?: string; why: string }[] = [
  { verb: "get", resource: "services", namespace: "default", why: "read the kubernetes Service address" },
  { verb: "get", resource: "nodes", why: "wait for the nodes to be Ready" },
  { verb: "delete", resource: "nodes", why: "remove them on leave" },
  { verb: "create", resource: "pods/eviction", why: "drain them on leave" },
  { verb: "list", resource: "certificatesigningrequests.certificates.k8s.io", why: "find their serving-certificate requests" },
  { verb: "update", resource: "certificatesigningrequests.certificates.k8s.io/approval", why: "approve them" },
  { verb: "approve", resource: "signers.certificates.k8s.io/kubernetes.io/kubelet-serving", why: "approve them" },
  { verb: "list", resource: "resourceslices.resource.k8s.io", why: "wait for their devices" },
  // createNodeJoin checks these again; listed here so one message names every missing right.
  { verb: "create", resource: "secrets", namespace: "kube-system", why: "create the bootstrap token" },
  { verb: "create", resource: "clusterrolebindings.rbac.authorization.k8s.io", why: "let the token's holders bootstrap a node" },
  { verb: "patch", resource: "clusterrolebindings.rbac.authorization.k8s.io", why: "keep those bindings up to date" },
];

/** "host:port" for QEMU's forward from the kubeconfig's server URL; only https is accepted. */
export function apiServerTargetOf(server: string, kubeconfig = "the kubeconfig"): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new Error(`${kubeconfig}: server "${server}" is not a URL`);
  }
  if (url.protocol !== "https:") throw new Error(`${kubeconfig}: server "${server}" is not https; a joining kubelet only talks TLS to the API server (and pins the cluster CA), so the kubeconfig must name the API server's https:// address`);
  if (url.pathname !== "/" && url.pathname !== "") throw new Error(`${kubeconfig}: server "${server}" has a path; the guest dials the API server at the kubernetes Service address, which serves from /`);
  return `${url.hostname}:${url.port || "443"}`;
}

const versionParts = (v: string): number[] => (/^v?(\d+)\.(\d+)\.(\d+)/.exec(v) ?? []).slice(1, 4).map(Number);
export function versionAtLeast(v: string, min: string): boolean {
  const [a, b] = [versionParts(v), versionParts(min)];
  if (a.length !== 3 || b.length !== 3) throw new Error(`not a Kubernetes version: "${a.length !== 3 ? v : min}"`);
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return true;
}

/**
 * The kubelet the nodes run: the pinned release's, unless the cluster is older (Kubernetes
 * supports kubelets up to three minor releases older than the API server, never newer); then
 * the cluster's own release when install-kubernetes.sh has built it, else the pinned one with
 * a warning naming the command that builds the right one.
 */
export function kubeletFor(serverVersion: string, binaries: KubernetesBinaries, say: (line: string) => void): string {
  const [major, minor, patch] = versionParts(serverVersion);
  const [, ownMinor] = versionParts(binaries.version);
  if (major === undefined || minor! >= ownMinor!) return binaries.kubelet;
  const release = `${major}.${minor}.${patch}`;
  const found = findKubernetes(release);
  if (found.ok) {
    say(`the cluster runs ${serverVersion}: its nodes get the kubelet of ${release} (a kubelet newer than its API server is not supported)`);
    return found.binaries.kubelet;
  }
  say(`warning: the cluster runs ${serverVersion}, older than this kubelet (${binaries.version}); Kubernetes does not support a kubelet newer than its API server. Build the cluster's release with \`${installCommand(release)}\` and join again to use it`);
  return binaries.kubelet;
}

/** Resolves when something accepts a TCP connection at host:port, rejects with why not. */
function tcpReachable(target: string, timeoutMs: number): Promise<void> {
  const at = target.lastIndexOf(":");
  const host = target.slice(0, at).replace(/^\[|\]$/g, "");
  return new Promise((resolve, reject) => {
    const s = connect({ host, port: Number(target.slice(at + 1)) });
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`no answer in ${timeoutMs / 1000} s`)); }, timeoutMs);
    s.once("connect", () => { clearTimeout(timer); s.end(); resolve(); });
    s.once("error", (err) => { clearTimeout(timer); reject(err); });
  });
}

/**
 * Looks at the cluster before anything starts: an https API server this host reaches, a
 * Kubernetes release the driver supports, the `kubernetes` Service address, and the
 * permissions JOIN_NEEDS lists. Throws saying what is missing.
 */
export async function inspectCluster(binaries: KubernetesBinaries, kubeconfig: string): Promise<JoinTarget> {
  if (!existsSync(kubeconfig)) throw new Error(`${kubeconfig}: no such kubeconfig`);
  const { kubectl, ok } = kubectlFor(binaries, kubeconfig);
  const view = JSON.parse(await ok(["config", "view", "--minify", "-o", "json"])) as { clusters?: { cluster: { server?: string } }[] };
  const server = view.clusters?.[0]?.cluster.server;
  if (!server) throw new Error(`${kubeconfig}: the current context names no cluster with a server`);
  const apiServerTarget = apiServerTargetOf(server, kubeconfig);
  await tcpReachable(apiServerTarget, 10_000).catch((err: Error) => {
    throw new Error(`${kubeconfig}: cannot reach the API server at ${apiServerTarget} (${err.message}). This host must reach it over TCP: its VM nodes' kubelets and the DRA driver connect through this host (QEMU hands each of their connections to ${apiServerTarget} from here)`);
  });
  const version = await kubectl(["version", "-o", "json"]);
  const serverVersion = (JSON.parse(version.stdout || "{}") as { serverVersion?: { gitVersion?: string } }).serverVersion?.gitVersion;
  if (!serverVersion) throw new Error(`${kubeconfig}: the API server at ${server} did not say its version: ${version.stderr.trim()}`);
  const { oldestSupported } = pinnedVersions();
  if (!versionAtLeast(serverVersion, oldestSupported)) throw new Error(`${kubeconfig}: the cluster runs Kubernetes ${serverVersion}; the DRA driver needs ${oldestSupported} or newer (resource.k8s.io/v1)`);
  const answers = await Promise.all(JOIN_NEEDS.map(async (n) => ({ ...n, answer: (await kubectl(["auth", "can-i", n.verb, n.resource, ...(n.namespace ? ["--namespace", n.namespace] : [])])).stdout.trim() })));
  const missing = answers.filter((a) => a.answer !== "yes");
  if (missing.length > 0) throw new Error(`${kubeconfig}: its user may not ${missing.map((m) => `${m.verb} ${m.resource}${m.namespace ? ` in namespace ${m.namespace}` : ""} (to ${m.why})`).join(", ")}; cluster join needs those rights`);
  const serviceIp = (await ok(["get", "service", "kubernetes", "--namespace", "default", "-o", "jsonpath={.spec.clusterIP}"])).trim();
  const network = guestNetworkFor(serviceIp);
  return { server, apiServerTarget, serviceIp, serverVersion, network };
}

export interface JoinOptions {
  topologyFile: string;
  kubeconfig: string;
  /** New or empty; holds device sockets, node logs, Helm's files and the state file. */
  runDir: string;
  /** OCI archives every node imports at boot (the driver, pause and workload images). */
  images: readonly string[];
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
  /** How long each node may take from QEMU's start to Ready, and the driver to publish. Default 600 s. */
  nodeReadyTimeoutMs?: number;
}

export interface Joined {
  readonly target: JoinTarget;
  readonly topology: Topology;
  readonly nodes: readonly VmNode[];
  readonly devices: Running;
  readonly statePath: string;
  /** Drain and delete this host's nodes, then stop their VMs and devices and revoke the token. */
  leave(): Promise<void>;
}

/** Devices in the ResourceSlices of these nodes. */
async function devicesOn(kubectl: Kubectl, nodes: ReadonlySet<string>): Promise<number | undefined> {
  const r = await kubectl(["get", "resourceslices", "-o", "json"]);
  if (r.code !== 0) return undefined;
  const slices = JSON.parse(r.stdout) as { items: { spec: { nodeName?: string; devices?: unknown[] } }[] };
  return slices.items.filter((s) => s.spec.nodeName !== undefined && nodes.has(s.spec.nodeName)).reduce((n, s) => n + (s.spec.devices?.length ?? 0), 0);
}

/** Drain (when their kubelets still run to stop the Pods) and delete Node objects by name. */
export async function drainAndDelete(kubectl: Kubectl, names: readonly string[], drain = true): Promise<void> {
  for (const name of names) {
    if ((await kubectl(["get", "node", name])).code !== 0) continue;
    if (drain) await kubectl(["drain", name, "--ignore-daemonsets", "--delete-emptydir-data", "--force", "--timeout=60s"]);
    await kubectl(["delete", "node", name, "--ignore-not-found", "--wait=false"]);
  }
}

export async function joinCluster(o: JoinOptions): Promise<Joined> {
  const say = o.onProgress ?? (() => {});
  const topology = loadTopologyFile(o.topologyFile);
  if (existsSync(o.runDir) && readdirSync(o.runDir).length > 0) throw new Error(`${o.runDir}: not empty; cluster join keeps everything of one join in a folder of its own (pass a new or empty --run-dir)`);
  const qemu = await findVfioUserQemu();
  if (!qemu) throw new Error("no QEMU with vfio-user-pci: bash scripts/install-qemu-vfio-user.sh -v");
  const binaries = requireKubernetes();
  const { kubectl } = kubectlFor(binaries, o.kubeconfig);
  const target = await inspectCluster(binaries, o.kubeconfig);
  say(`cluster: Kubernetes ${target.serverVersion} at ${target.server}; kubernetes Service ${target.serviceIp} (the guests dial it; QEMU forwards to ${target.apiServerTarget})`);
  const host = hostLabel();
  const names = topology.vms.map((vm) => `${host}-${vm.name}`);
  for (const name of names) {
    if ((await kubectl(["get", "node", name])).code === 0) throw new Error(`node ${name} is already in the cluster: another \`cluster join\` from a host named ${host} (leave it first with \`mock-accel cluster leave\`, or set MOCK_ACCEL_HOST_NAME to tell this host apart)`);
  }
  const madeRunDir = !existsSync(o.runDir);
  mkdirSync(o.runDir, { recursive: true });
  const helmHome = join(o.runDir, "helm");
  const statePath = join(o.runDir, JOIN_STATE_FILE);
  let vmNodes: VmNodes | undefined;
  const stop = async () => {
    await vmNodes?.stop();
    for (const p of [helmHome, statePath]) rmSync(p, { recursive: true, force: true });
    if (madeRunDir) rmSync(o.runDir, { recursive: true, force: true });
    else if (existsSync(join(o.runDir, "devices")) && readdirSync(join(o.runDir, "devices")).length === 0) rmSync(join(o.runDir, "devices"), { recursive: true });
  };
  // Nodes that registered belong to this join (none of these names existed before it).
  const leave = async () => {
    await drainAndDelete(kubectl, names);
    await stop();
  };
  const aborted = () => (o.signal?.aborted ? "interrupted" : undefined);
  try {
    const t0 = Date.now();
    const image = await nodeImage({ kubelet: kubeletFor(target.serverVersion, binaries, say), images: o.images, onProgress: say });
    if (aborted()) throw new Error("interrupted");
    vmNodes = await startVmNodes({
      topology, kubeconfig: o.kubeconfig, binaries, qemu, image, runDir: o.runDir, network: target.network,
      apiServerTarget: target.apiServerTarget, nodeName: (vm) => `${host}-${vm}`,
      onProgress: say, signal: o.signal, nodeReadyTimeoutMs: o.nodeReadyTimeoutMs,
    });
    const installed = await ensureDriverInstalled({ binaries, kubeconfig: o.kubeconfig, helmHome, onProgress: say });
    say(`DRA driver: ${installed}`);
    const expected = devicesPublished(topology);
    const ours = new Set(names);
    await until(`the DRA driver's ResourceSlices for ${names.join(", ")}`, o.nodeReadyTimeoutMs ?? 600_000, async () => {
      const n = await devicesOn(kubectl, ours);
      return n !== undefined && n >= expected ? n : undefined;
    }, aborted);
    say(`DRA driver published ${expected} devices of ${names.join(", ")}; joined in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    const state: JoinState = {
      pid: process.pid, kubeconfig: o.kubeconfig, server: target.server, topology: topology.file, host,
      tokenId: vmNodes.join.token.split(".")[0]!,
      nodes: vmNodes.nodes.map((n) => ({ name: n.name, ip: n.ip, kubeletPort: n.kubeletPort, console: n.consoleLog, qemuPid: n.process.pid })),
    };
    writeFileSync(statePath, `${JSON.stringify(state, null, 2)}\n`);
    return { target, topology, nodes: vmNodes.nodes, devices: vmNodes.devices, statePath, leave };
  } catch (err) {
    await leave().catch(() => {});
    throw err;
  }
}

/** The state `cluster join` wrote in `runDir`, or null. */
export function readJoinState(runDir: string): JoinState | null {
  const path = join(runDir, JOIN_STATE_FILE);
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as JoinState) : null;
}

/**
 * `cluster leave` when the join's process is gone (killed hard): delete its nodes from the
 * cluster, revoke its token, stop QEMU processes it left running. Returns what it did.
 */
export async function leaveAfterCrash(runDir: string, binaries: KubernetesBinaries): Promise<string[]> {
  const state = readJoinState(runDir);
  if (!state) throw new Error(`${runDir}: no ${JOIN_STATE_FILE}`);
  const done: string[] = [];
  for (const n of state.nodes) {
    if (n.qemuPid === undefined) continue;
    // Only a QEMU of this run directory: the pid may have been reused since.
    const cmdline = existsSync(`/proc/${n.qemuPid}/cmdline`) ? readFileSync(`/proc/${n.qemuPid}/cmdline`, "utf8") : "";
    if (cmdline.includes("qemu") && cmdline.includes(runDir)) {
      process.kill(n.qemuPid, "SIGKILL");
      done.push(`stopped QEMU ${n.qemuPid} of ${n.name}`);
    }
  }
  const { kubectl } = kubectlFor(binaries, state.kubeconfig);
  // No kubelet is left to stop the Pods: the Pod garbage collector removes those of a deleted node.
  await drainAndDelete(kubectl, state.nodes.map((n) => n.name), false);
  done.push(`deleted node(s) ${state.nodes.map((n) => n.name).join(", ")}`);
  const r = await kubectl(["delete", "secret", "--namespace", TOKEN_NAMESPACE, `bootstrap-token-${state.tokenId}`, "--ignore-not-found"]);
  done.push(r.code === 0 ? `revoked token ${state.tokenId}` : `could not revoke token ${state.tokenId}: ${r.stderr.trim()}`);
  rmSync(join(runDir, JOIN_STATE_FILE), { force: true });
  return done;
}
