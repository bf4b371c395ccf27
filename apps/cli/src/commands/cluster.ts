// `mock-accel cluster control-plane [--run-dir DIR] [--version X]`: a Kubernetes control plane
// built from upstream sources, on loopback, until Ctrl-C.
import { findKubernetes, startControlPlane } from "@mock-accel/cluster";
import type { CommandModule } from "../command.ts";
import { EXIT_USAGE } from "../command.ts";
import { parseCommand, runUsage } from "../args.ts";

const HELP = `Usage: mock-accel cluster <subcommand> [options]

Subcommands:
  control-plane   start etcd, kube-apiserver, kube-controller-manager and kube-scheduler on
                  127.0.0.1 (certificates made fresh for this run), print the KUBECONFIG line,
                  and run until SIGINT/SIGTERM; then stop them and remove their files

Options (control-plane):
  --run-dir DIR   certificates, etcd data, kubeconfigs and logs (new or empty; default: a new
                  temporary folder). Removed on the way out.
  --version X     Kubernetes release built by scripts/install-kubernetes.sh (default: the pinned one)
  -h, --help      show this help

The components come from \`bash scripts/install-kubernetes.sh -v\` (a first build takes
20-40 minutes on 2 cores).`;

const OPTIONS = {
  "run-dir": { type: "string" },
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
  if (sub !== "control-plane") {
    console.error(`mock-accel cluster: unknown subcommand '${sub}' (see --help)`);
    return EXIT_USAGE;
  }
  const parsed = parseCommand({ name: "cluster control-plane", options: OPTIONS, help: HELP }, rest);
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  const found = findKubernetes(values.version);
  if (!found.ok) {
    console.error(`mock-accel cluster: ${found.reason}`);
    return 1;
  }
  // Handlers first: a Ctrl-C during start-up must still stop what has started.
  const abort = new AbortController();
  let stopRequested!: () => void;
  const stopSignal = new Promise<void>((resolve) => (stopRequested = resolve));
  const onSignal = () => {
    abort.abort();
    stopRequested();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
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
  await stopSignal;
  console.error("  stopping the control plane");
  await plane.stop();
  return 0;
}

