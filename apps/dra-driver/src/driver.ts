// The node agent put together: sysfs client → inventory → ResourceSlice publisher, and the
// kubelet plugin (registration + DRA services) → claim preparer → STATUS, CDI, checkpoint.
import { CoreV1Api, KubeConfig, ResourceV1Api } from "@kubernetes/client-node";
import { MockAccelSysfs } from "@mock-accel/sysfs-client";
import { join } from "node:path";
import { Checkpoint } from "./checkpoint.ts";
import { ApiClaimSource } from "./claims.ts";
import { DeviceInventory } from "./inventory.ts";
import { startKubeletPlugin, type KubeletPlugin } from "./kubelet-plugin.ts";
import { consoleLogger, type Logger } from "./logger.ts";
import { ClaimPreparer } from "./prepare.ts";
import { SlicePublisher } from "./slice-publisher.ts";

export const DEFAULT_DRIVER_NAME = "mock-accel.example.com";
/** Where CDI specs go: a folder containerd (2.x by default, 1.7 when told) and CRI-O read. */
export const DEFAULT_CDI_DIR = "/var/run/cdi";

export interface DriverOptions {
  /** The DRA driver name: ResourceSlice spec.driver, attribute domain, CDI vendor. */
  driverName?: string;
  nodeName: string;
  kubeConfig: KubeConfig;
  /** Where sysfs is mounted. Default /sys. */
  sysfsRoot?: string;
  /** Default /var/lib/kubelet/plugins_registry. */
  registrarDir?: string;
  /** Default /var/lib/kubelet/plugins/<driver>. */
  pluginDir?: string;
  /** Default /var/run/cdi. */
  cdiDir?: string;
  /** Default <pluginDir>/checkpoint.json. */
  checkpointPath?: string;
  /** Default 500 ms. */
  watchIntervalMs?: number;
  /** Default 60 s. */
  resyncIntervalMs?: number;
  log?: Logger;
}

export interface ResolvedPaths {
  driverName: string;
  sysfsRoot: string;
  registrarDir: string;
  pluginDir: string;
  cdiDir: string;
  checkpointPath: string;
}

export function resolvePaths(o: Omit<DriverOptions, "nodeName" | "kubeConfig">): ResolvedPaths {
  const driverName = o.driverName ?? DEFAULT_DRIVER_NAME;
  const pluginDir = o.pluginDir ?? join("/var/lib/kubelet/plugins", driverName);
  return {
    driverName,
    sysfsRoot: o.sysfsRoot ?? "/sys",
    registrarDir: o.registrarDir ?? "/var/lib/kubelet/plugins_registry",
    pluginDir,
    cdiDir: o.cdiDir ?? DEFAULT_CDI_DIR,
    checkpointPath: o.checkpointPath ?? join(pluginDir, "checkpoint.json"),
  };
}

export interface RunningDriver {
  readonly paths: ResolvedPaths;
  readonly plugin: KubeletPlugin;
  readonly publisher: SlicePublisher;
  readonly preparer: ClaimPreparer;
  stop(): Promise<void>;
}

const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export async function startDriver(options: DriverOptions): Promise<RunningDriver> {
  const log = options.log ?? consoleLogger;
  const paths = resolvePaths(options);
  if (!DNS_SUBDOMAIN.test(paths.driverName) || paths.driverName.length > 63) throw new Error(`driver name ${JSON.stringify(paths.driverName)}: must be a DNS subdomain of at most 63 characters`);
  if (!DNS_SUBDOMAIN.test(options.nodeName)) throw new Error(`node name ${JSON.stringify(options.nodeName)}: must be a DNS subdomain (it names the pool)`);
  const api = options.kubeConfig.makeApiClient(ResourceV1Api);
  const sysfs = new MockAccelSysfs({ root: paths.sysfsRoot });
  const inventory = new DeviceInventory(sysfs, paths.driverName, log);
  // Loaded before the socket opens: the first unprepare after a restart must already know the claims.
  const checkpoint = Checkpoint.load(paths.checkpointPath, paths.driverName);
  const preparer = new ClaimPreparer({
    driverName: paths.driverName, nodeName: options.nodeName, cdiDir: paths.cdiDir,
    checkpoint, inventory, claims: new ApiClaimSource(api), log,
  });
  const publisher = new SlicePublisher({ api, coreApi: options.kubeConfig.makeApiClient(CoreV1Api), kubeConfig: options.kubeConfig, inventory, sysfs, driverName: paths.driverName, nodeName: options.nodeName, log, watchIntervalMs: options.watchIntervalMs ?? 500, resyncIntervalMs: options.resyncIntervalMs ?? 60_000 });
  publisher.start();
  let plugin: KubeletPlugin;
  try {
    plugin = await startKubeletPlugin({ driverName: paths.driverName, registrarDir: paths.registrarDir, pluginDir: paths.pluginDir, handler: preparer, log });
  } catch (err) {
    await publisher.stop();
    throw err;
  }
  return {
    paths, plugin, publisher, preparer,
    async stop() {
      await plugin.stop();
      await publisher.stop();
      // The attribute files the client keeps open between reads.
      sysfs.close();
    },
  };
}
