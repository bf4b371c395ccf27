// `mock-accel dra manifests`: prints the manifests as one multi-document YAML stream, ready for `kubectl apply -f -`.
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { DEFAULT_DRIVER_NAME } from "./driver.ts";
import { DEFAULT_IMAGE, DEFAULT_NAMESPACE, renderObjects, type ManifestOptions } from "./manifests.ts";

export const MANIFESTS_USAGE = `Usage: mock-accel dra manifests [options]

Prints the namespace, RBAC, DaemonSet, DeviceClasses, KMM Module and example claims.

Options:
  --driver-name NAME   DRA driver name (default ${DEFAULT_DRIVER_NAME})
  --namespace NS       namespace of the driver and the examples (default ${DEFAULT_NAMESPACE})
  --image REF          driver image (default ${DEFAULT_IMAGE})
  --kmod-image REF     where KMM pushes the module images it builds (default <image>-kmod)
  -h, --help          show this help`;

export function renderManifests(options: ManifestOptions = {}): string {
  return renderObjects(options).map((o) => stringify(o, { lineWidth: 0 })).join("---\n");
}

export async function manifestsCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { "driver-name": { type: "string" }, namespace: { type: "string" }, image: { type: "string" }, "kmod-image": { type: "string" }, help: { type: "boolean", short: "h" } },
    }));
  } catch (err) {
    console.error(`mock-accel dra manifests: ${(err as Error).message.split(". ")[0]} (see --help)`);
    return 2;
  }
  if (values.help) {
    console.log(MANIFESTS_USAGE);
    return 0;
  }
  const dns = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
  if (values["driver-name"] !== undefined && !dns.test(values["driver-name"])) {
    console.error(`mock-accel dra manifests: --driver-name ${JSON.stringify(values["driver-name"])}: must be a DNS subdomain of at most 63 characters`);
    return 2;
  }
  if (values.namespace !== undefined && !/^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(values.namespace)) {
    console.error(`mock-accel dra manifests: --namespace ${JSON.stringify(values.namespace)}: must be a DNS label`);
    return 2;
  }
  process.stdout.write(renderManifests({ driverName: values["driver-name"], namespace: values.namespace, image: values.image, kmodImage: values["kmod-image"] }));
  return 0;
}
