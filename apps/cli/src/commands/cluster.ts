// `mock-accel cluster up|status|down|join|leave|control-plane`: a Kubernetes cluster whose nodes
// are a topology's VMs (or just the control plane), built from upstream sources, on loopback;
// or a topology's VMs joined as nodes to a cluster the user already has.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { findKubernetes, HOST_NAME_ENV, hostLabel, joinCluster, leaveAfterCrash, pinnedVersions, readJoinState, readVmClusterState, startControlPlane, startVmCluster, type VmClusterState } from "@mock-accel/cluster";
import { buildNodeImages } from "@mock-accel/node-image";
import { defaultRunDir } from "@mock-accel/topology";
import { run } from "@mock-accel/vm-harness";
import type { CommandModule } from "../command.ts";
import { EXIT_USAGE } from "../command.ts";
import { formatTable, parseCommand, runUsage } from "../args.ts";
import { seconds } from "../progress.ts";

export const defaultClusterRunDir = (): string => join(defaultRunDir(), "cluster");
export const defaultJoinRunDir = (): string => join(defaultRunDir(), "join");

const HELP = `Usage: mock-accel cluster <subcommand> [options]

Subcommands:
  up TOPOLOGY     a cluster whose nodes are the topology's VMs: the control plane on 127.0.0.1,
                  the topology's devices served over vfio-user, one QEMU guest per VM joined as
                  a node, the DRA driver installed with the Helm chart. Prints the KUBECONFIG
                  line and runs until Ctrl-C, SIGTERM or \`cluster down\`; then stops and removes
                  everything it made
  status          the running cluster's nodes, ResourceSlices and allocated devices
  down            stop the cluster \`up\` runs (same --run-dir) and wait until it is gone
  join TOPOLOGY --kubeconfig FILE
                  the topology's VMs as nodes of the cluster FILE names (yours: kind, k3s, a
                  lab or CI cluster), named <host>-<vm> so several hosts can join one cluster;
                  the DRA driver installed with the Helm chart unless it is there (its version
                  checked). Runs until Ctrl-C, SIGTERM or \`cluster leave\`, which all leave
                  the cluster: this host's nodes drained and deleted, its VMs and devices
                  stopped, its bootstrap token revoked; the rest of the cluster untouched
  leave           end the \`join\` of this --run-dir and wait until its nodes are gone
  control-plane   only etcd, kube-apiserver, kube-controller-manager and kube-scheduler on
                  127.0.0.1, until SIGINT/SIGTERM

Options:
  --run-dir DIR   the cluster's folder: certificates, etcd data, device sockets, node logs
                  (up: new or empty; default ${defaultClusterRunDir()}; join: new or empty;
                  default ${defaultJoinRunDir()}; control-plane: default a new temporary
                  folder). Removed on the way out.
  --kubeconfig F  (join) an admin kubeconfig of the cluster to join
  --version X     (control-plane) Kubernetes release built by scripts/install-kubernetes.sh
  -h, --help      show this help

The components come from \`bash scripts/install-kubernetes.sh -v\` (a first build takes
20-40 minutes on 2 cores). Guests run under TCG: a node is Ready about 30 s after its VM
starts on an idle 2-core machine; the first \`up\` also builds the node image (about 35 s).

What \`join\` needs from the cluster: Kubernetes ${pinnedVersions().oldestSupported} or newer (resource.k8s.io/v1); an
https API server this host reaches (the VMs reach it only through this host: QEMU forwards
their connections to the cluster's \`kubernetes\` Service address to the kubeconfig's server,
whose certificate names that address, as every kubeadm, kind and k3s cluster's does); a
kubeconfig whose user may create a bootstrap token Secret in kube-system and
ClusterRoleBindings, get/delete nodes, evict pods, list and approve kubelet-serving
certificate requests, list ResourceSlices, and (when the driver is not installed yet) install
the chart: cluster-admin does. The API server cannot reach the joined kubelets, so
\`kubectl logs/exec\` to their Pods does not work. $${HOST_NAME_ENV} names this host instead
of its host name.`;

const OPTIONS = {
  "run-dir": { type: "string" },
  kubeconfig: { type: "string" },
  version: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

export const command: CommandModule = {
  run: (argv) => runUsage("cluster", () => cluster(argv)),
};

async function cluster(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "-h" || sub === "--help") {
    console.log(HELP);
    return sub === undefined ? EXIT_USAGE : 0;
  }
  const handlers: Record<string, (rest: string[]) => Promise<number>> = { up, status, down, join: joinCommand, leave, "control-plane": controlPlane };
  const handler = handlers[sub];
  if (!handler) {
    console.error(`mock-accel cluster: unknown subcommand '${sub}' (see --help)`);
    return EXIT_USAGE;
  }
  return handler(rest);
}

/** Resolves on SIGINT/SIGTERM; `abort` fires at the same time, for a start still under way. */
function stopSignals(): { abort: AbortController; stopped: Promise<void> } {
  const abort = new AbortController();
  let resolve!: () => void;
  const stopped = new Promise<void>((r) => (resolve = r));
  const onSignal = () => {
    abort.abort();
    resolve();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return { abort, stopped };
}

type Say = (line: string) => void;

/** Progress lines stamped with the seconds since the command started. */
function progressLines(): Say {
  const t0 = performance.now();
  return (line) => console.error(`  [${seconds(performance.now() - t0).padStart(7)}] ${line}`);
}

/**
 * `up` and `join`'s start: the node images built (or taken from the cache), then `start` with
 * their archives. A failure prints one line naming the subcommand and gives the exit code
 * instead (130 when Ctrl-C or SIGTERM cut the start short).
 */
async function startNodes<T>(name: string, say: Say, signal: AbortSignal, start: (images: string[]) => Promise<T>): Promise<{ ok: T } | { exit: number }> {
  try {
    say("building the container images and the node image (cached after the first run)");
    const images = await buildNodeImages({ onProgress: say });
    return { ok: await start(Object.values(images).map((i) => i.archive)) };
  } catch (err) {
    console.error(`mock-accel cluster ${name}: ${(err as Error).message}`);
    return { exit: signal.aborted ? 130 : 1 };
  }
}

/** SIGTERM to the process `up` or `join` runs in, then waits for it to finish its clean-up. */
async function stopAndWait(pid: number, waitingTo: string): Promise<string> {
  process.kill(pid, "SIGTERM");
  const t0 = performance.now();
  let said = t0;
  while (alive(pid)) {
    if (performance.now() - said > 5_000) {
      console.error(`  waiting for process ${pid} to ${waitingTo} (${seconds(performance.now() - t0)})`);
      said = performance.now();
    }
    await Bun.sleep(200);
  }
  return seconds(performance.now() - t0);
}

async function up(argv: string[]): Promise<number> {
  const parsed = parseCommand({ name: "cluster up", options: OPTIONS, help: HELP, positionals: { count: 1, what: "one topology file" } }, argv);
  if (typeof parsed === "number") return parsed;
  const runDir = parsed.values["run-dir"] ?? defaultClusterRunDir();
  const found = findKubernetes();
  if (!found.ok) {
    console.error(`mock-accel cluster up: ${found.reason}`);
    return 1;
  }
  const { abort, stopped } = stopSignals();
  const say = progressLines();
  const started = await startNodes("up", say, abort.signal, (images) =>
    startVmCluster({ topologyFile: parsed.positionals[0]!, runDir, images, onProgress: say, signal: abort.signal }));
  if ("exit" in started) return started.exit;
  const vmCluster = started.ok;
  console.log(`KUBECONFIG=${vmCluster.kubeconfig}`);
  console.log(`# export KUBECONFIG=${vmCluster.kubeconfig}; kubectl get nodes,resourceslices   (kubectl: ${vmCluster.controlPlane.binaries.kubectl})`);
  console.error(`  ${vmCluster.nodes.length} node(s) Ready; \`mock-accel cluster status\` shows them, \`mock-accel cluster down\` or Ctrl-C stops everything`);
  await stopped;
  console.error("  stopping the VMs, the devices and the control plane");
  await vmCluster.stop();
  return 0;
}

function stateOrComplain(name: string, runDir: string): VmClusterState | null {
  const state = readVmClusterState(runDir);
  if (!state) console.error(`mock-accel cluster ${name}: no cluster in ${runDir} (start one with \`mock-accel cluster up TOPOLOGY${runDir === defaultClusterRunDir() ? "" : ` --run-dir ${runDir}`}\`)`);
  return state;
}

/** Whether `pid` still runs. A zombie (exited, not yet reaped by its parent) has stopped: its
 *  parent may be the very program waiting on `down`/`leave` and unable to reap it until then. */
export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z /s.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
};

async function status(argv: string[]): Promise<number> {
  const parsed = parseCommand({ name: "cluster status", options: OPTIONS, help: HELP }, argv);
  if (typeof parsed === "number") return parsed;
  const runDir = parsed.values["run-dir"] ?? defaultClusterRunDir();
  const joined = readJoinState(runDir);
  const state = joined ? { ...joined, nodes: joined.nodes } : stateOrComplain("status", runDir);
  if (!state) return 1;
  const found = findKubernetes();
  if (!found.ok) {
    console.error(`mock-accel cluster status: ${found.reason}`);
    return 1;
  }
  const kubectl = async (args: string[]) => {
    const r = await run(found.binaries.kubectl, ["--kubeconfig", state.kubeconfig, ...args, "-o", "json"], { timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr.trim()}`);
    return JSON.parse(r.stdout) as { items: Record<string, never>[] };
  };
  console.log(`${joined ? `nodes of ${state.topology} joined from ${joined.host} to ${joined.server}` : `cluster of ${state.topology}`} (process ${state.pid}${alive(state.pid) ? "" : ", not running"}); KUBECONFIG=${state.kubeconfig}`);
  try {
    const nodes = (await kubectl(["get", "nodes"])).items as unknown as { metadata: { name: string }; status: { conditions?: { type: string; status: string }[]; nodeInfo?: { kubeletVersion: string } } }[];
    console.log("\nNodes");
    console.log(formatTable(["NAME", "READY", "KUBELET", "VM CONSOLE"], nodes.map((n) => [
      n.metadata.name,
      n.status.conditions?.find((c) => c.type === "Ready")?.status ?? "Unknown",
      n.status.nodeInfo?.kubeletVersion ?? "",
      state.nodes.find((s) => s.name === n.metadata.name)?.console ?? "",
    ]), "  "));
    const slices = (await kubectl(["get", "resourceslices"])).items as unknown as { metadata: { name: string }; spec: { nodeName?: string; driver: string; devices?: { name: string }[] } }[];
    console.log("\nResourceSlices");
    console.log(formatTable(["NODE", "DRIVER", "DEVICES"], slices.map((s) => [s.spec.nodeName ?? "", s.spec.driver, (s.spec.devices ?? []).map((d) => d.name).join(" ")]), "  "));
    const claims = (await kubectl(["get", "resourceclaims", "--all-namespaces"])).items as unknown as {
      metadata: { name: string; namespace: string }; status?: { allocation?: { devices?: { results?: { device: string; pool: string }[] } }; reservedFor?: { name: string }[] };
    }[];
    const allocated = claims.filter((c) => c.status?.allocation);
    console.log("\nAllocated devices");
    console.log(allocated.length === 0 ? "  (none)" : formatTable(["CLAIM", "NODE", "DEVICES", "IN USE BY"], allocated.map((c) => [
      `${c.metadata.namespace}/${c.metadata.name}`,
      c.status!.allocation!.devices?.results?.[0]?.pool ?? "",
      (c.status!.allocation!.devices?.results ?? []).map((r) => r.device).join(" "),
      (c.status!.reservedFor ?? []).map((r) => r.name).join(" "),
    ]), "  "));
  } catch (err) {
    console.error(`mock-accel cluster status: ${(err as Error).message}`);
    return 1;
  }
  return 0;
}

async function down(argv: string[]): Promise<number> {
  const parsed = parseCommand({ name: "cluster down", options: OPTIONS, help: HELP }, argv);
  if (typeof parsed === "number") return parsed;
  const runDir = parsed.values["run-dir"] ?? defaultClusterRunDir();
  const state = stateOrComplain("down", runDir);
  if (!state) return 1;
  if (!alive(state.pid)) {
    console.error(`mock-accel cluster down: the cluster's process ${state.pid} is gone; its files in ${runDir} are left for you to look at or remove`);
    return 1;
  }
  console.error(`  stopped in ${await stopAndWait(state.pid, "stop the cluster")}`);
  return 0;
}

async function joinCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand({ name: "cluster join", options: OPTIONS, help: HELP, positionals: { count: 1, what: "one topology file" } }, argv);
  if (typeof parsed === "number") return parsed;
  const kubeconfig = parsed.values.kubeconfig;
  if (!kubeconfig) {
    console.error("mock-accel cluster join: --kubeconfig FILE is required (an admin kubeconfig of the cluster to join; see --help for what the join needs)");
    return EXIT_USAGE;
  }
  const runDir = parsed.values["run-dir"] ?? defaultJoinRunDir();
  const found = findKubernetes();
  if (!found.ok) {
    console.error(`mock-accel cluster join: ${found.reason}`);
    return 1;
  }
  const { abort, stopped } = stopSignals();
  const say = progressLines();
  say(`joining as host ${hostLabel()} (nodes <host>-<vm>; ${HOST_NAME_ENV} overrides): needs an https API server this host reaches, Kubernetes ${pinnedVersions().oldestSupported}+, and rights to create a bootstrap token, ClusterRoleBindings and the driver's chart (see --help)`);
  const started = await startNodes("join", say, abort.signal, (images) =>
    joinCluster({ topologyFile: parsed.positionals[0]!, kubeconfig, runDir, images, onProgress: say, signal: abort.signal }));
  if ("exit" in started) return started.exit;
  const joined = started.ok;
  console.log(`joined: ${joined.nodes.map((n) => n.name).join(" ")}`);
  console.error(`  ${joined.nodes.length} node(s) Ready in ${joined.target.server}; \`mock-accel cluster leave${runDir === defaultJoinRunDir() ? "" : ` --run-dir ${runDir}`}\` or Ctrl-C drains and deletes them and stops their VMs`);
  await stopped;
  console.error(`  leaving: draining and deleting ${joined.nodes.map((n) => n.name).join(", ")}, stopping the VMs and devices, revoking the token`);
  await joined.leave();
  return 0;
}

async function leave(argv: string[]): Promise<number> {
  const parsed = parseCommand({ name: "cluster leave", options: OPTIONS, help: HELP }, argv);
  if (typeof parsed === "number") return parsed;
  const runDir = parsed.values["run-dir"] ?? defaultJoinRunDir();
  const state = readJoinState(runDir);
  if (!state) {
    console.error(`mock-accel cluster leave: no join in ${runDir} (\`mock-accel cluster join TOPOLOGY --kubeconfig FILE${runDir === defaultJoinRunDir() ? "" : ` --run-dir ${runDir}`}\` makes one)`);
    return 1;
  }
  if (!alive(state.pid)) {
    const found = findKubernetes();
    if (!found.ok) {
      console.error(`mock-accel cluster leave: ${found.reason}`);
      return 1;
    }
    console.error(`  the join's process ${state.pid} is gone: cleaning up after it`);
    try {
      for (const line of await leaveAfterCrash(runDir, found.binaries)) console.error(`  ${line}`);
    } catch (err) {
      console.error(`mock-accel cluster leave: ${(err as Error).message}`);
      return 1;
    }
    console.error(`  its files in ${runDir} are left for you to look at or remove`);
    return 0;
  }
  console.error(`  left in ${await stopAndWait(state.pid, `drain and delete ${state.nodes.map((n) => n.name).join(", ")}`)}`);
  return 0;
}

async function controlPlane(argv: string[]): Promise<number> {
  const parsed = parseCommand({ name: "cluster control-plane", options: OPTIONS, help: HELP }, argv);
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  const found = findKubernetes(values.version);
  if (!found.ok) {
    console.error(`mock-accel cluster: ${found.reason}`);
    return 1;
  }
  // Handlers first: a Ctrl-C during start-up must still stop what has started.
  const { abort, stopped } = stopSignals();
  let plane;
  try {
    plane = await startControlPlane({ runDir: values["run-dir"], version: values.version, signal: abort.signal, onProgress: (line) => console.error(`  ${line}`) });
  } catch (err) {
    console.error(`mock-accel cluster: ${(err as Error).message}`);
    return abort.signal.aborted ? 130 : 1;
  }
  console.log(`KUBECONFIG=${plane.kubeconfig}`);
  console.log(`# export KUBECONFIG=${plane.kubeconfig}; ${plane.binaries.kubectl} get --raw /readyz`);
  console.error(`  Kubernetes ${plane.binaries.version} at ${plane.server}; logs in ${plane.runDir}/logs; Ctrl-C stops it`);
  await stopped;
  console.error("  stopping the control plane");
  await plane.stop();
  return 0;
}
