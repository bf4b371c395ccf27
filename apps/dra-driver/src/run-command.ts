// `mock-accel dra run`: the node agent as the DaemonSet runs it. Every path is a flag so tests
// run it against temporary directories and a fake sysfs tree.
import { KubeConfig } from "@kubernetes/client-node";
import { parseArgs } from "node:util";
import { apiErrorText } from "./api-errors.ts";
import { DEFAULT_DRIVER_NAME, startDriver } from "./driver.ts";
import { consoleLogger, leveledLogger } from "./logger.ts";

export const RUN_USAGE = `Usage: mock-accel dra run [options]

Publishes this node's mock-accel devices as ResourceSlices and serves the kubelet's DRA plugin API.

Options:
  --driver-name NAME     DRA driver name (default ${DEFAULT_DRIVER_NAME})
  --node-name NAME       this node (default: $NODE_NAME)
  --kubeconfig PATH      API server credentials (default: in-cluster, else $KUBECONFIG / ~/.kube/config)
  --sysfs-root DIR       where sysfs is mounted (default /sys)
  --registrar-dir DIR    kubelet plugin registry (default /var/lib/kubelet/plugins_registry)
  --plugin-dir DIR       this plugin's socket directory (default /var/lib/kubelet/plugins/<driver>)
  --cdi-dir DIR          CDI spec directory (default /var/run/cdi)
  --checkpoint PATH      checkpoint file (default <plugin-dir>/checkpoint.json)
  --watch-interval-ms N  how often sysfs is looked at for added/removed devices (default 500)
  --resync-interval-ms N how often the ResourceSlices are republished unchanged (default 60000)
  --verbosity N          0: warnings and errors only; 1: also what the driver does (default 1)
  -h, --help             show this help`;

export async function runCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        "driver-name": { type: "string" }, "node-name": { type: "string" }, kubeconfig: { type: "string" },
        "sysfs-root": { type: "string" }, "registrar-dir": { type: "string" }, "plugin-dir": { type: "string" },
        "cdi-dir": { type: "string" }, checkpoint: { type: "string" }, "watch-interval-ms": { type: "string" },
        "resync-interval-ms": { type: "string" }, verbosity: { type: "string" }, help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    console.error(`mock-accel dra run: ${(err as Error).message.split(". ")[0]} (see --help)`);
    return 2;
  }
  if (values.help) {
    console.log(RUN_USAGE);
    return 0;
  }
  const nodeName = values["node-name"] ?? process.env.NODE_NAME;
  if (!nodeName) {
    console.error("mock-accel dra run: no node name: pass --node-name or set NODE_NAME (the DaemonSet sets it from spec.nodeName)");
    return 2;
  }
  const integer = (flag: "watch-interval-ms" | "resync-interval-ms" | "verbosity", min: number): number | undefined | null => {
    const text = values[flag];
    if (text === undefined) return undefined;
    const n = Number(text);
    if (text.trim() !== "" && Number.isInteger(n) && n >= min) return n;
    console.error(`mock-accel dra run: --${flag}: expected an integer of at least ${min}, got ${JSON.stringify(text)}`);
    return null;
  };
  const watchIntervalMs = integer("watch-interval-ms", 1);
  const resyncIntervalMs = integer("resync-interval-ms", 1);
  const verbosity = integer("verbosity", 0);
  if (watchIntervalMs === null || resyncIntervalMs === null || verbosity === null) return 2;
  const log = leveledLogger(consoleLogger, verbosity ?? 1);
  const kubeConfig = new KubeConfig();
  try {
    if (values.kubeconfig) kubeConfig.loadFromFile(values.kubeconfig);
    else if (process.env.KUBERNETES_SERVICE_HOST) kubeConfig.loadFromCluster();
    else kubeConfig.loadFromDefault();
  } catch (err) {
    console.error(`mock-accel dra run: ${values.kubeconfig ? `--kubeconfig ${values.kubeconfig}` : "kubeconfig"}: ${(err as Error).message.split("\n")[0]}`);
    return 2;
  }

  let driver;
  try {
    driver = await startDriver({
      driverName: values["driver-name"], nodeName, kubeConfig, sysfsRoot: values["sysfs-root"],
      registrarDir: values["registrar-dir"], pluginDir: values["plugin-dir"], cdiDir: values["cdi-dir"],
      checkpointPath: values.checkpoint, watchIntervalMs, resyncIntervalMs, log,
    });
  } catch (err) {
    // What stops the start (a corrupt checkpoint, a bad name, a socket that cannot be bound) is
    // the operator's to fix: one line naming it, not a stack trace.
    console.error(`mock-accel dra run: ${apiErrorText(err)}`);
    return 1;
  }
  log.info(`running as ${driver.paths.driverName} on node ${nodeName}`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
  log.info("stopping");
  await driver.stop();
  // Everything is closed; should a request to an unresponsive API server still hold the event
  // loop (a watch that never got its response headers cannot be aborted), do not hang the
  // DaemonSet's termination on it.
  setTimeout(() => process.exit(0), 5_000).unref();
  return 0;
}
