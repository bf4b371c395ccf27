// Serves every device of a topology's VMs from this one process: one host per transport,
// sockets under <runDir>/<vm>/<device-id>.sock. Used by `up`, `demo` and the benchmarks.
import { mkdirSync, rmdirSync } from "node:fs";
import { dirname } from "node:path";
import { buildDeviceConfig, createConsoleLogger, startDeviceHost, uuidToCanonical, type DeviceConfig, type DeviceHost } from "@mock-accel/server";
import { allDevices, type Topology, type TopologyDevice } from "./load-topology.ts";
import { socketPath, type Transport } from "./qemu-args.ts";

export interface ServedDevice {
  device: TopologyDevice;
  socketPath: string;
  config: DeviceConfig;
  /** The canonical UUID the device reports (derived from a label when one was given). */
  uuid: string;
}

export interface BringUpOptions {
  transport: Transport;
  runDir: string;
  /** Only these VMs (default: all). */
  vms?: string[];
  socketMode?: number;
  verbose?: boolean;
  /** Called after each device is listening. */
  onProgress?: (done: number, total: number, served: ServedDevice) => void;
}

export interface Running {
  devices: ServedDevice[];
  host: DeviceHost;
  close(): Promise<void>;
}

export function deviceConfigFor(d: TopologyDevice): DeviceConfig {
  return buildDeviceConfig({
    kind: d.kind,
    uuid: d.uuid,
    ...(d.memorySizeBytes !== null ? { memorySize: d.memorySizeBytes } : {}),
    capabilities: d.capabilities,
    ...(d.fwVersion !== null ? { fwVersion: d.fwVersion } : {}),
    totalVfs: d.totalVfs,
    ...(d.vfIndex !== null ? { vfIndex: d.vfIndex } : {}),
  });
}

/**
 * The folders this process made for its sockets (deepest last), so that closing removes exactly
 * those, and only when empty: a user's files in a VM folder, or another `up`'s sockets in a run
 * directory they share, are never touched.
 */
class CreatedDirs {
  private readonly dirs: string[] = [];

  ensure(dir: string): void {
    const first = mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (first === undefined) return;
    // mkdirSync names the topmost folder it created; every level from there to `dir` is ours.
    const chain: string[] = [];
    for (let d = dir; d.length >= first.length; d = dirname(d)) {
      chain.unshift(d);
      if (d === first) break;
    }
    this.dirs.push(...chain);
  }

  /** Remove the ones that are empty now, deepest first; a folder someone else filled stays. */
  removeEmpty(): void {
    for (const d of [...this.dirs].reverse()) {
      try {
        rmdirSync(d);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== "ENOTEMPTY" && code !== "EEXIST" && code !== "ENOENT") throw err;
      }
    }
    this.dirs.length = 0;
  }
}

export async function bringUp(topology: Topology, opts: BringUpOptions): Promise<Running> {
  const vms = topology.vms.filter((v) => opts.vms === undefined || opts.vms.includes(v.name));
  const devices = vms.flatMap(allDevices);
  const logLevel = opts.verbose ? "debug" : "warn";
  const log = createConsoleLogger(logLevel);
  // The worker is told the same level, so it never formats and queues a line (one per client
  // coming and going at "info") that this logger would throw away.
  const host = await startDeviceHost(opts.transport, { log, logLevel });
  const created = new CreatedDirs();
  const served: ServedDevice[] = [];
  // The host removes exactly the sockets it bound; then the folders this call made, if empty.
  const cleanUp = async () => {
    await host.close();
    created.removeEmpty();
  };
  try {
    for (const d of devices) {
      const path = socketPath(opts.runDir, d);
      created.ensure(dirname(path));
      const config = deviceConfigFor(d);
      await host.addDevice({ socketPath: path, kind: d.kind, config, multifunction: d.kind === "pf" && d.totalVfs > 0, ...(opts.socketMode !== undefined ? { socketMode: opts.socketMode } : {}) });
      const s = { device: d, socketPath: path, config, uuid: uuidToCanonical(config.uuid) };
      served.push(s);
      opts.onProgress?.(served.length, devices.length, s);
    }
  } catch (err) {
    // Nothing half-up. The start-up error is the one to report: a failed clean-up is logged.
    try {
      await cleanUp();
    } catch (cleanupErr) {
      log.error(`clean-up after a failed start also failed: ${(cleanupErr as Error).message}`);
    }
    throw err;
  }
  return {
    devices: served,
    host,
    close: cleanUp,
  };
}
