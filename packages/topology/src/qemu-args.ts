// QEMU wiring for one VM of a topology: NUMA nodes with their memory backends, one pxb-pcie
// expander per NUMA node, one pcie-root-port per PF, and the devices, in the order QEMU needs
// (all expanders, then root ports, then bridges, then devices). vfio-user devices name their
// socket; proxy devices sit behind a pcie-pci-bridge (x-pci-proxy-dev is conventional PCI) and
// take an inherited fd that the launcher supplies.
import type { TopologyDevice, TopologyVm } from "./load-topology.ts";
import { join } from "node:path";
import type { HostTransport } from "@mock-accel/server";
import { expanderBusNumber, guestPfBuses } from "@mock-accel/sysfs-client";

export type Transport = HostTransport;

export interface QemuWiringOptions {
  transport: Transport;
  /** Directory holding `<vm>/<device-id>.sock` (vfio-user). */
  runDir: string;
  /** fd number QEMU inherits for a proxy device; default 3, 4, ... in device order. */
  fdFor?: (device: TopologyDevice, index: number) => number;
}

export { expanderBusNumber };

export function socketPath(runDir: string, device: TopologyDevice): string {
  return join(runDir, device.vm, `${device.id}.sock`);
}

const sizeArg = (bytes: bigint): string => (bytes % (1n << 20n) === 0n ? `${bytes >> 20n}M` : `${bytes}`);

interface Placement {
  device: TopologyDevice;
  rootPort: string;
  bridge: string | null;
  addr: string;
  multifunction: boolean;
}

interface Wiring {
  machine: string[];
  memory: string[];
  expanders: string[];
  rootPorts: string[];
  bridges: string[];
  devices: string[];
  placements: Placement[];
}

function wire(vm: TopologyVm, opts: QemuWiringOptions): Wiring {
  const totalCpus = vm.numaNodes.reduce((s, n) => s + n.cpus, 0);
  const totalMem = vm.numaNodes.reduce((s, n) => s + n.memoryBytes, 0n);
  const w: Wiring = {
    // One socket per CPU: with `-smp N` alone the CPUs of different NUMA nodes share a package
    // and the guest kernel warns at boot (smpboot.c topology_sane, "llc-sibling ... not on the
    // same node"). One socket per CPU fits any split of CPUs between nodes.
    machine: ["-machine", "q35", "-m", sizeArg(totalMem), "-smp", `${totalCpus},sockets=${totalCpus},cores=1,threads=1`],
    memory: [],
    expanders: [],
    rootPorts: [],
    bridges: [],
    devices: [],
    placements: [],
  };
  let cpu = 0;
  let chassis = 1;
  const fdFor = opts.fdFor ?? ((_d: TopologyDevice, i: number) => 3 + i);
  let deviceIndex = 0;
  for (const node of vm.numaNodes) {
    const memId = `mem-n${node.node}`;
    // The proxy peer needs guest RAM as shareable fds; vfio-user-pci here does no DMA.
    const backend =
      opts.transport === "proxy"
        ? `memory-backend-memfd,id=${memId},size=${sizeArg(node.memoryBytes)},share=on`
        : `memory-backend-ram,id=${memId},size=${sizeArg(node.memoryBytes)}`;
    const cpus = node.cpus === 1 ? `${cpu}` : `${cpu}-${cpu + node.cpus - 1}`;
    cpu += node.cpus;
    w.memory.push("-object", backend, "-numa", `node,nodeid=${node.node},cpus=${cpus},memdev=${memId}`);
    const pxb = `pxb-n${node.node}`;
    // Linux probes the expander listed last first; listing them in reverse makes the PF on the
    // lowest NUMA node `mock0`, which is what people expect (checked in a guest).
    w.expanders.unshift("-device", `pxb-pcie,id=${pxb},bus_nr=${expanderBusNumber(node.node)},numa_node=${node.node},bus=pcie.0`);
    node.pfs.forEach((p, pi) => {
      const buses = placePf(vm, node.node, pi, opts.transport);
      const rp = `rp-n${node.node}-${pi}`;
      w.rootPorts.push("-device", `pcie-root-port,id=${rp},bus=${pxb},chassis=${chassis++},slot=0`);
      let bridge: string | null = null;
      if (opts.transport === "proxy") {
        bridge = `br-n${node.node}-${pi}`;
        w.bridges.push("-device", `pcie-pci-bridge,id=${bridge},bus=${rp}`);
      }
      const slot = buses.deviceSlot;
      for (const d of [p.pf, ...p.vfs]) {
        const placement: Placement = {
          device: d,
          rootPort: rp,
          bridge,
          addr: `${slot}.${d.function}`,
          multifunction: d.kind === "pf" && p.vfs.length > 0,
        };
        w.placements.push(placement);
        if (opts.transport === "vfio-user") {
          const json: Record<string, unknown> = {
            driver: "vfio-user-pci",
            id: d.id,
            socket: { path: socketPath(opts.runDir, d), type: "unix" },
            bus: rp,
            addr: placement.addr,
          };
          if (placement.multifunction) json.multifunction = true;
          w.devices.push("-device", JSON.stringify(json));
        } else {
          const mf = placement.multifunction ? ",multifunction=on" : "";
          w.devices.push("-device", `x-pci-proxy-dev,id=${d.id},fd=${fdFor(d, deviceIndex)},bus=${bridge},addr=${placement.addr}${mf}`);
        }
        deviceIndex += 1;
      }
    });
  }
  return w;
}

/** The guest's buses for a PF, or an error naming the VM and node when its expander has none left. */
function placePf(vm: TopologyVm, numaNode: number, pfIndex: number, transport: Transport) {
  try {
    return guestPfBuses(numaNode, pfIndex, transport);
  } catch (err) {
    throw new Error(`VM '${vm.name}', NUMA node ${numaNode}, PF ${pfIndex} over ${transport}: ${(err as Error).message}`);
  }
}

/** QEMU arguments (without accelerator, kernel or disks) for the VM's NUMA layout and devices. */
export function qemuArgs(vm: TopologyVm, opts: QemuWiringOptions): string[] {
  const w = wire(vm, opts);
  return [...w.machine, ...w.memory, ...w.expanders, ...w.rootPorts, ...w.bridges, ...w.devices];
}

/** Quote for a POSIX shell, so a printed command line can be pasted as is. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=,@+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** One argument pair per line, ready to paste after `qemu-system-x86_64 \`. */
export function formatArgs(args: readonly string[]): string {
  const lines: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    if (a.startsWith("-") && next !== undefined && !next.startsWith("-")) {
      lines.push(`${a} ${shellQuote(next)}`);
      i++;
    } else lines.push(shellQuote(a));
  }
  return lines.map((l, i) => `  ${l}${i < lines.length - 1 ? " \\" : ""}`).join("\n");
}

const xml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/'/g, "&apos;").replace(/"/g, "&quot;");

/**
 * A libvirt domain XML fragment: NUMA cells, pcie-expander-bus and pcie-root-port controllers
 * that libvirt manages itself, and the mock devices through <qemu:commandline> (libvirt has no
 * native element for vfio-user-pci or x-pci-proxy-dev). Root ports get the aliases used on
 * the command line (`ua-` prefix is libvirt's rule for user aliases).
 */
export function libvirtXml(vm: TopologyVm, opts: QemuWiringOptions): string {
  const w = wire(vm, opts);
  const out: string[] = [];
  out.push(`<!-- mock-accel: ${xml(vm.name)}, transport ${opts.transport}. Merge into <domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>. -->`);
  out.push("<cpu>", "  <numa>");
  let cpu = 0;
  for (const n of vm.numaNodes) {
    const cpus = n.cpus === 1 ? `${cpu}` : `${cpu}-${cpu + n.cpus - 1}`;
    cpu += n.cpus;
    const memAccess = opts.transport === "proxy" ? " memAccess='shared'" : "";
    out.push(`    <cell id='${n.node}' cpus='${cpus}' memory='${n.memoryBytes >> 10n}' unit='KiB'${memAccess}/>`);
  }
  out.push("  </numa>", "</cpu>");
  if (opts.transport === "proxy") out.push("<memoryBacking>", "  <source type='memfd'/>", "  <access mode='shared'/>", "</memoryBacking>");
  out.push("<devices>");
  let index = 1;
  const controllerIndex = new Map<string, number>();
  for (const n of vm.numaNodes) {
    const pxbIndex = index++;
    controllerIndex.set(`pxb-n${n.node}`, pxbIndex);
    out.push(
      `  <controller type='pci' index='${pxbIndex}' model='pcie-expander-bus'>`,
      `    <target busNr='${expanderBusNumber(n.node)}'>`,
      `      <node>${n.node}</node>`,
      "    </target>",
      `    <alias name='ua-pxb-n${n.node}'/>`,
      "  </controller>",
    );
  }
  for (const n of vm.numaNodes) {
    n.pfs.forEach((_p, pi) => {
      const rp = `rp-n${n.node}-${pi}`;
      const i = index++;
      out.push(`  <controller type='pci' index='${i}' model='pcie-root-port'>`, `    <alias name='ua-${rp}'/>`, `    <address type='pci' bus='${controllerIndex.get(`pxb-n${n.node}`)}'/>`, "  </controller>");
      if (opts.transport === "proxy") {
        const br = `br-n${n.node}-${pi}`;
        out.push(`  <controller type='pci' index='${index++}' model='pcie-to-pci-bridge'>`, `    <alias name='ua-${br}'/>`, `    <address type='pci' bus='${i}'/>`, "  </controller>");
      }
    });
  }
  out.push("</devices>", "<qemu:commandline>");
  for (let i = 0; i < w.devices.length; i += 2) {
    // Inside libvirt, buses carry the `ua-` alias prefix.
    const arg = w.devices[i + 1]!.replace(/("bus":"|bus=)(rp|br)-/g, "$1ua-$2-");
    out.push(`  <qemu:arg value='-device'/>`, `  <qemu:arg value='${xml(arg)}'/>`);
  }
  out.push("</qemu:commandline>");
  return `${out.join("\n")}\n`;
}

