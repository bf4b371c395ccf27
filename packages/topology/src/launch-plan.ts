// The library half of `mock-accel launch`: serve (or find) one VM's devices and work out
// QEMU's arguments and the fds it inherits. vfio-user devices are named by socket path; proxy
// devices (x-pci-proxy-dev) take a connected socket QEMU inherits as fd 3, 4, ... (QEMU cannot
// connect to the proxy's socket itself). The end-to-end suite and the demo boot guests with it.
import { existsSync } from "node:fs";
import { checkProxyQemu, closeFd, connectUnixSocket } from "@mock-accel/server";
import { hasVfioUserPci } from "@mock-accel/vm-harness";
import { bringUp, type Running } from "./bring-up.ts";
import { allDevices, type Topology, type TopologyVm } from "./load-topology.ts";
import { qemuArgs, socketPath, type Transport } from "./qemu-args.ts";

export interface LaunchOptions {
  transport: Transport;
  /** qemu-system-x86_64 to run (checked for the proxy: 6.0 <= version < 10.0). */
  qemu: string;
  runDir: string;
  /**
   * Serve the devices in this process (default). False: connect to sockets that `mock-accel up`
   * (same run dir) already serves.
   */
  serve?: boolean;
  /** Log every register write (the device hosts log warnings and errors either way). */
  verbose?: boolean;
}

export interface PreparedLaunch {
  transport: Transport;
  vm: TopologyVm;
  /** The devices and their host, when this process serves them. */
  running: Running | null;
  /** Machine, NUMA, expanders, ports, bridges and devices, in QEMU's order. */
  qemuArgs: string[];
  /** fds QEMU must inherit as 3, 4, ... (proxy only; pass them as extra stdio entries). */
  inheritFds: number[];
  /** Closes the fds this process still holds (call once QEMU has them) — idempotent. */
  releaseFds(): void;
  /** Releases fds, stops the devices this process serves and removes their sockets. */
  close(): Promise<void>;
}

/** Thrown when the transport cannot run on the given QEMU. */
export class UnsupportedQemuError extends Error {
  override name = "UnsupportedQemuError";
}

/**
 * Serve (or find) the VM's devices and work out QEMU's arguments and inherited fds. Refuses the
 * proxy on a QEMU where it is known to crash, naming vfio-user instead. Leaves nothing running
 * when it fails.
 */
export async function prepareLaunch(vm: TopologyVm, topologyFile: string, opts: LaunchOptions): Promise<PreparedLaunch> {
  if (opts.transport === "proxy") {
    const check = checkProxyQemu(opts.qemu);
    if (check.problem !== null) throw new UnsupportedQemuError(check.problem);
  } else if (!(await hasVfioUserPci(opts.qemu))) {
    throw new UnsupportedQemuError(
      `${opts.qemu} has no vfio-user-pci (QEMU >= 10.1): run scripts/install-qemu-vfio-user.sh and pass the path it prints as --qemu, or use --transport proxy on QEMU 6.0..9.x`,
    );
  }
  const serve = opts.serve ?? true;
  let running: Running | null = null;
  if (serve) {
    const topology: Topology = { file: topologyFile, vms: [vm] };
    running = await bringUp(topology, { transport: opts.transport, runDir: opts.runDir, verbose: opts.verbose ?? false });
  } else {
    const missing = allDevices(vm).map((d) => socketPath(opts.runDir, d)).filter((p) => !existsSync(p));
    if (missing.length > 0) {
      throw new Error(`no device served at ${missing.join(", ")}: start \`mock-accel up ${topologyFile} --transport ${opts.transport}\` first (same --run-dir)`);
    }
  }
  const fds: number[] = [];
  try {
    if (opts.transport === "proxy") {
      for (const d of allDevices(vm)) fds.push(connectUnixSocket(socketPath(opts.runDir, d)));
    }
  } catch (err) {
    for (const fd of fds) closeFd(fd);
    await running?.close();
    throw err;
  }
  const args = qemuArgs(vm, { transport: opts.transport, runDir: opts.runDir, fdFor: (_d, i) => 3 + i });
  let released = false;
  const releaseFds = () => {
    if (released) return;
    released = true;
    for (const fd of fds) closeFd(fd);
  };
  return {
    transport: opts.transport,
    vm,
    running,
    qemuArgs: args,
    inheritFds: fds,
    releaseFds,
    async close() {
      releaseFds();
      await running?.close();
    },
  };
}

/**
 * QEMU's accelerator argument. x-pci-proxy-dev drops QEMU's big lock while it waits for the
 * device's reply; a second vCPU touching the same device meanwhile is refused by QEMU's
 * re-entrancy guard ("Blocked re-entrant IO on MemoryRegion: bar-region-0") and reads garbage.
 * Single-threaded TCG runs one vCPU at a time, so the proxy gets TCG with thread=single.
 */
export function accelArg(accel: string, transport: Transport): string {
  return transport === "proxy" && accel === "tcg" ? "tcg,thread=single" : accel;
}
