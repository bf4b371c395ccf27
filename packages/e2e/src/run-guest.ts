// One end-to-end boot: serve examples/demo.yaml's VM over a transport (the same code path as
// `mock-accel launch`), boot the Debian guest with the module, run the guest script, and hand
// back what the guest printed and what the server saw meanwhile.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProxyHost, type HostTransport } from "@mock-accel/server";
import { bootGuest, type BootResult, type GuestFile } from "@mock-accel/vm-harness";
import { accelArg, findVm, loadTopologyFile, prepareLaunch, type ServedDevice, type TopologyVm } from "@mock-accel/topology";
import { guestArtifacts, guestInitramfs, type GuestArtifacts } from "@mock-accel/guest-image";
import { guestScript, parseSections, SECTION_MARKER, type GuestScriptOptions } from "./guest-script.ts";

export type Transport = HostTransport;

/** The topology every end-to-end boot uses: a PF with 2 VFs on node 0, a PF on node 1. */
export const TOPOLOGY_FILE = join(import.meta.dirname, "..", "..", "..", "examples", "demo.yaml");

export interface ServerWrite {
  /** Topology id of the device, e.g. "demo-n0-pf0". */
  device: string;
  name: string;
  value: bigint;
  previous: bigint;
}

export interface GuestRunResult {
  transport: Transport;
  qemu: string;
  vm: TopologyVm;
  /** What each device was served with (id, config, canonical UUID, socket). */
  served: ServedDevice[];
  boot: BootResult;
  /** The initramfs the guest booted (cached). */
  initramfs: string;
  sections: Record<string, string>;
  /** Notify-register writes the server saw, in order. */
  writes: ServerWrite[];
  /** The server's own STATUS and SRIOV_NUM_VFS after the guest ran (proxy only: its devices live on this thread). */
  registersAfter: Record<string, { STATUS: bigint; SRIOV_NUM_VFS: bigint }> | null;
  /** Milliseconds from starting QEMU until the guest listed its class devices after insmod. */
  devicesReadyMs: number | null;
}

export interface RunGuestOptions extends GuestScriptOptions {
  transport: Transport;
  qemu: string;
  artifacts?: GuestArtifacts;
  timeoutMs?: number;
  /** Serial output as it arrives (debugging). */
  onOutput?: (chunk: string) => void;
  /**
   * The guest's job instead of this suite's `guestScript` (another package's in-guest checks).
   * Print `@@section NAME` lines to get `sections`; `devicesReadyMs` needs a `ready` section.
   */
  script?: string;
  /** More files for the initramfs by guest path, or `null` to leave one of ours out (see `guestInitramfs`). */
  extraFiles?: Record<string, GuestFile | null>;
  /** More QEMU arguments after the machine `launch` builds (e.g. `-virtfs` to share a directory). */
  qemuArgs?: string[];
}

export async function runGuest(opts: RunGuestOptions): Promise<GuestRunResult> {
  const artifacts = opts.artifacts ?? (await guestArtifacts());
  const initramfs = await guestInitramfs(artifacts, opts.script ?? guestScript(opts), opts.extraFiles);
  const topology = loadTopologyFile(TOPOLOGY_FILE);
  const vm = findVm(topology, undefined);
  // Short: socket paths must fit sun_path.
  const runDir = mkdtempSync(join(tmpdir(), "e2e-"));
  let prepared: Awaited<ReturnType<typeof prepareLaunch>>;
  try {
    prepared = await prepareLaunch(vm, topology.file, { transport: opts.transport, qemu: opts.qemu, runDir });
  } catch (err) {
    rmSync(runDir, { recursive: true, force: true });
    throw err;
  }
  try {
    const running = prepared.running!;
    const idBySocket = new Map(running.devices.map((s) => [s.socketPath, s.device.id]));
    const writes: ServerWrite[] = [];
    running.host.on("register-write", (e) =>
      writes.push({ device: idBySocket.get(e.socketPath) ?? e.socketPath, name: e.name, value: e.value, previous: e.previous }),
    );
    let serial = "";
    let devicesReadyMs: number | null = null;
    const readyMarker = `${SECTION_MARKER} ready`;
    const bootStarted = performance.now();
    const boot = await bootGuest({
      qemu: opts.qemu,
      // The proxy needs single-threaded TCG (see accelArg in @mock-accel/topology).
      accel: accelArg("tcg", opts.transport),
      kernel: artifacts.kernel.image,
      initramfs,
      // vm-harness adds -cpu max: the discovery program is a Bun binary and wants SSE4.2.
      machine: [...prepared.qemuArgs, ...(opts.qemuArgs ?? [])],
      inheritFds: prepared.inheritFds,
      timeoutMs: opts.timeoutMs ?? 150_000,
      onOutput: (chunk) => {
        serial += chunk;
        if (devicesReadyMs === null && serial.includes(readyMarker)) {
          // Ready once the listing after the marker has arrived: the next section starts.
          const after = serial.slice(serial.indexOf(readyMarker) + readyMarker.length);
          if (after.includes(SECTION_MARKER)) devicesReadyMs = performance.now() - bootStarted;
        }
        opts.onOutput?.(chunk);
      },
    });
    const registersAfter =
      running.host instanceof ProxyHost
        ? Object.fromEntries(
            running.host.devices.map((d) => [
              idBySocket.get(d.socketPath) ?? d.socketPath,
              { STATUS: d.device.readRegister("STATUS"), SRIOV_NUM_VFS: d.device.readRegister("SRIOV_NUM_VFS") },
            ]),
          )
        : null;
    return {
      transport: opts.transport,
      qemu: opts.qemu,
      vm,
      served: running.devices,
      boot,
      initramfs,
      sections: parseSections(boot.scriptOutput),
      writes,
      registersAfter,
      devicesReadyMs,
    };
  } finally {
    await prepared.close();
    rmSync(runDir, { recursive: true, force: true });
  }
}

