// `mock-accel qemu-args <topology> [--vm NAME] [--transport vfio-user|proxy] [--format args|libvirt] [--run-dir DIR]`
import type { CommandModule } from "../command.ts";
import { parseCommand, parseTransport, runUsage, UsageError } from "../args.ts";
import { defaultRunDir, findVm, formatArgs, libvirtXml, loadTopologyFile, qemuArgs, TopologyError, VmNotFoundError, type Transport } from "@mock-accel/topology";

const HELP = `Usage: mock-accel qemu-args <topology.yaml> [options]

Print the QEMU arguments that attach one VM's mock devices: NUMA nodes and memory backends,
a pxb-pcie expander per NUMA node, a pcie-root-port per PF, and the devices, in QEMU's order.

Options:
  --vm NAME               VM of the topology (needed when it has several)
  --transport T           vfio-user (QEMU >= 10.1, default) or proxy (x-pci-proxy-dev, QEMU 6.0..9.x)
  --format F              args (default: shell-ready lines) or libvirt (domain XML fragment)
  --run-dir DIR           where \`up\` puts the sockets (default ${defaultRunDir()})
  -h, --help              show this help

With --transport proxy each device takes an inherited fd (fd=3, 4, ...): use
\`mock-accel launch\`, which connects the sockets and starts QEMU with them.`;

const OPTIONS = {
  vm: { type: "string" },
  transport: { type: "string", default: "vfio-user" },
  format: { type: "string", default: "args" },
  "run-dir": { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

export const command: CommandModule = {
  run: (argv) =>
    runUsage("qemu-args", async () => {
      const parsed = parseCommand({ name: "qemu-args", options: OPTIONS, help: HELP, positionals: { count: 1, what: "one topology file" } }, argv);
      if (typeof parsed === "number") return parsed;
      const { values, positionals } = parsed;
      const transport: Transport = parseTransport(values.transport);
      if (values.format !== "args" && values.format !== "libvirt") throw new UsageError(`--format must be args or libvirt, not '${values.format}'`);
      if (values.format === "libvirt" && transport === "proxy")
        throw new UsageError("--format libvirt needs --transport vfio-user (proxy devices take inherited fds libvirt cannot pass; use mock-accel launch)");
      try {
        const topology = loadTopologyFile(positionals[0]!);
        const vm = findVm(topology, values.vm);
        const opts = { transport, runDir: values["run-dir"] ?? defaultRunDir() };
        if (values.format === "libvirt") process.stdout.write(libvirtXml(vm, opts));
        else console.log(`qemu-system-x86_64 \\\n${formatArgs(qemuArgs(vm, opts))}`);
        return 0;
      } catch (err) {
        if (err instanceof VmNotFoundError) throw new UsageError(err.message);
        console.error(err instanceof TopologyError ? err.message : `mock-accel qemu-args: ${(err as Error).message}`);
        return 1;
      }
    }),
};
