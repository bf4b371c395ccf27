// `mock-accel dra <run|manifests>` dispatch, shared by the CLI and the image's entry point.
import { manifestsCommand } from "./manifests-command.ts";
import { runCommand } from "./run-command.ts";

export const DRA_USAGE = `Usage: mock-accel dra <command> [options]

Commands:
  run        publish ResourceSlices and serve the kubelet plugin (what the DaemonSet runs)
  manifests  print the Kubernetes manifests: namespace, RBAC, DaemonSet, DeviceClasses, KMM Module, example claims`;

export async function draCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case "run":
      return runCommand(rest);
    case "manifests":
      return manifestsCommand(rest);
    case "--help":
    case "-h":
    case "help":
      console.log(DRA_USAGE);
      return 0;
    default:
      console.error(sub === undefined ? DRA_USAGE : `mock-accel dra: unknown command '${sub}'\n\n${DRA_USAGE}`);
      return 2;
  }
}
