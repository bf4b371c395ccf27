// The wiring `qemu-args` prints is checked against QEMU itself: Debian 12's QEMU 7.2 parses and
// realizes everything except vfio-user-pci, so the test drops the mock devices, starts QEMU
// paused, and asks it over QMP what PCI topology it built.
import { describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { requirement, assertAvailable } from "@mock-accel/testkit";
import { loadTopologyFile, findVm, parseTopology } from "../src/load-topology.ts";
import { libvirtXml, qemuArgs } from "../src/qemu-args.ts";

const examples = join(import.meta.dirname, "../../../examples");
const systemQemu = "/usr/bin/qemu-system-x86_64";
const qemu = requirement("qemu-system-x86_64", spawnSync(systemQemu, ["--version"]).status === 0, "apt-get install qemu-system-x86");

function withoutMockDevices(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "-device" && /vfio-user-pci|x-pci-proxy-dev/.test(args[i + 1]!)) {
      i++;
      continue;
    }
    out.push(args[i]!);
  }
  return out;
}

interface PciBus {
  bus: number;
  devices: { bus: number; slot: number; function: number; qdev_id: string; pci_bridge?: { bus: { number: number; secondary: number } ; devices?: PciBus["devices"] } }[];
}

interface QemuView {
  pci: PciBus[];
  /** `info qtree`: every device with its properties, under the bus it sits on. */
  qtree: string;
}

async function inspect(args: string[]): Promise<QemuView> {
  const child = spawn(systemQemu, ["-accel", "tcg", "-nodefaults", "-display", "none", "-S", "-qmp", "stdio", ...args], { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  child.stdin.write(
    '{"execute":"qmp_capabilities"}\n{"execute":"query-pci"}\n' +
      '{"execute":"human-monitor-command","arguments":{"command-line":"info qtree"}}\n{"execute":"quit"}\n',
  );
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  const replies = out.split("\n").filter((l) => l.includes('"return"')).map((l) => JSON.parse(l) as { return: unknown });
  const pci = replies.find((r) => Array.isArray(r.return));
  const qtree = replies.find((r) => typeof r.return === "string" && r.return.includes("bus:"));
  if (!pci || !qtree) throw new Error(`QEMU (exit ${code}) rejected the arguments:\n${err}`);
  return { pci: pci.return as PciBus[], qtree: (qtree.return as string).replace(/\r/g, "") };
}

describe("qemu-args", () => {
  it("puts expanders, root ports, then devices in order, with JSON vfio-user devices naming their sockets", () => {
    const vm = findVm(loadTopologyFile(join(examples, "demo.yaml")), "demo");
    const args = qemuArgs(vm, { transport: "vfio-user", runDir: "/run/m" });
    const kinds = args.filter((_a, i) => args[i - 1] === "-device").map((d) => (d.startsWith("{") ? (JSON.parse(d) as { driver: string }).driver : d.split(",")[0]));
    expect(kinds).toEqual(["pxb-pcie", "pxb-pcie", "pcie-root-port", "pcie-root-port", "vfio-user-pci", "vfio-user-pci", "vfio-user-pci", "vfio-user-pci"]);
    const devices = args.filter((a) => a.startsWith("{")).map((a) => JSON.parse(a) as Record<string, unknown>);
    expect(devices[0]).toEqual({ driver: "vfio-user-pci", id: "demo-n0-pf0", socket: { path: "/run/m/demo/demo-n0-pf0.sock", type: "unix" }, bus: "rp-n0-0", addr: "0.0", multifunction: true });
    expect(devices[2]).toMatchObject({ id: "demo-n0-pf0-vf1", addr: "0.2", bus: "rp-n0-0" });
    expect(devices[3]).toMatchObject({ id: "demo-n1-pf0", addr: "0.0", bus: "rp-n1-0" });
  });

  it.skipIf(qemu.skip)("QEMU builds the NUMA expanders and root ports it prints (vfio-user wiring)", async () => {
    assertAvailable(qemu);
    const vm = findVm(loadTopologyFile(join(examples, "demo.yaml")), "demo");
    const { pci, qtree } = await inspect(withoutMockDevices(qemuArgs(vm, { transport: "vfio-user", runDir: "/run/m" })));
    const all = pci.flatMap((b) => b.devices.map((d) => ({ ...d, busNumber: b.bus })));
    const rootPorts = all.filter((d) => d.qdev_id.startsWith("rp-"));
    expect(rootPorts.map((d) => [d.qdev_id, d.busNumber]).sort()).toEqual([
      ["rp-n0-0", 0x10],
      ["rp-n1-0", 0x20],
    ]);
    expect(all.filter((d) => d.qdev_id.startsWith("pxb-")).map((d) => d.qdev_id).sort()).toEqual(["pxb-n0", "pxb-n1"]);
    // Each expander carries its NUMA node: that is what the guest's numa_node comes from.
    expect(qtree).toMatch(/dev: pxb-pcie, id "pxb-n1"\n(\s+\S.*\n)*?\s+numa_node = 1/);
  });

  it.skipIf(qemu.skip)("QEMU builds the proxy wiring: a pcie-pci-bridge behind each root port", async () => {
    assertAvailable(qemu);
    const vm = findVm(loadTopologyFile(join(examples, "cluster.yaml")), "node2");
    const { qtree } = await inspect(withoutMockDevices(qemuArgs(vm, { transport: "proxy", runDir: "/run/m" })));
    // Firmware has not numbered the buses yet (-S), so read the device tree instead.
    for (const n of [0, 1]) expect(qtree).toMatch(new RegExp(`bus: rp-n${n}-0\\n(\\s+\\S.*\\n)*?\\s+dev: pcie-pci-bridge, id "br-n${n}-0"`));
  });

  it("a node's expander holds 15 PFs over vfio-user but 7 over proxy (a bridge bus each): more is refused, not wired over the next node's buses", () => {
    const pfs = (n: number) => Array.from({ length: n }, (_, i) => `          - uuid: p${i}\n`).join("");
    const vm = (n: number) => findVm(parseTopology(`vms:\n  - name: vm0\n    numa_nodes:\n      - node: 0\n        pfs:\n${pfs(n)}`, "t.yaml"), "vm0");
    expect(() => qemuArgs(vm(8), { transport: "vfio-user", runDir: "/run/m" })).not.toThrow();
    expect(() => qemuArgs(vm(7), { transport: "proxy", runDir: "/run/m" })).not.toThrow();
    expect(() => qemuArgs(vm(8), { transport: "proxy", runDir: "/run/m" })).toThrow(
      "VM 'vm0', NUMA node 0, PF 7 over proxy: too many PFs on NUMA node 0 for the guest's bus numbering (pxb-pcie bus_nr 0x10..0x1f)",
    );
    expect(() => vm(16)).toThrow(/pfs: Expected array length to be less or equal to 15/);
  });

  it("libvirt XML carries NUMA cells, expander controllers and the devices", () => {
    const vm = findVm(loadTopologyFile(join(examples, "demo.yaml")), "demo");
    const x = libvirtXml(vm, { transport: "vfio-user", runDir: "/run/m" });
    expect(x).toContain("<cell id='1' cpus='1' memory='524288' unit='KiB'/>");
    expect(x).toContain("<controller type='pci' index='2' model='pcie-expander-bus'>");
    expect(x).toContain("<target busNr='32'>");
    expect(x).toContain("&quot;bus&quot;:&quot;ua-rp-n0-0&quot;");
  });
});
