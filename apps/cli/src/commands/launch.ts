// `mock-accel launch <topology> [options] [-- QEMU ARGS...]`: serve one VM's devices and start
// QEMU with them wired. The library half, `prepareLaunch`, lives in @mock-accel/topology.
import { spawn } from "node:child_process";
import { constants as osConstants } from "node:os";
import { existsSync } from "node:fs";
import { findVfioUserQemu } from "@mock-accel/vm-harness";
import { EXIT_USAGE, type CommandModule } from "../command.ts";
import { parseCommand, parseTransport } from "../args.ts";
import { accelArg, defaultRunDir, findVm, formatArgs, loadTopologyFile, prepareLaunch, qemuArgs, TopologyError, UnsupportedQemuError, VmNotFoundError, type PreparedLaunch, type ServedDevice, type TopologyVm, type Transport } from "@mock-accel/topology";

const HELP = `Usage: mock-accel launch <topology.yaml> [options] [-- QEMU ARGS...]

Serve one VM's mock devices from this process and start QEMU with them wired: NUMA nodes,
a pxb-pcie per node, a root port per PF (plus a pcie-pci-bridge for the proxy), the PF and
its VFs at functions 0..N of one slot. Stops the devices when QEMU exits.

Options:
  --vm NAME          VM of the topology (needed when it has several)
  --transport T      vfio-user (QEMU >= 10.1, default) or proxy (x-pci-proxy-dev, QEMU 6.0..9.x)
  --qemu PATH        QEMU binary (default: for proxy qemu-system-x86_64; for vfio-user the
                     QEMU scripts/install-qemu-vfio-user.sh installed, else qemu-system-x86_64)
  --kernel FILE      guest kernel (-kernel)
  --initrd FILE      initramfs (-initrd)
  --append TEXT      kernel command line (default "console=ttyS0")
  --accel A          QEMU accelerator (default tcg)
  --external         do not serve: use the sockets \`mock-accel up\` serves (same --run-dir)
  --run-dir DIR      where the sockets go (default ${defaultRunDir()})
  --dry-run          print the QEMU command line and exit (devices are not started)
  -v, --verbose      log every register write the guest makes
  -h, --help         show this help

Anything after \`--\` goes to QEMU as is (disks, networking, -m overrides, ...). The serial
console is on this terminal (Ctrl-A X quits QEMU).`;

const OPTIONS = {
  vm: { type: "string" },
  transport: { type: "string", default: "vfio-user" },
  qemu: { type: "string" },
  kernel: { type: "string" },
  initrd: { type: "string" },
  append: { type: "string", default: "console=ttyS0" },
  accel: { type: "string", default: "tcg" },
  external: { type: "boolean", default: false },
  "run-dir": { type: "string" },
  "dry-run": { type: "boolean", default: false },
  verbose: { type: "boolean", short: "v", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

export const command: CommandModule = {
  async run(argv) {
    const dashdash = argv.indexOf("--");
    const own = dashdash < 0 ? argv : argv.slice(0, dashdash);
    const extra = dashdash < 0 ? [] : argv.slice(dashdash + 1);
    const parsed = parseCommand({ name: "launch", options: OPTIONS, help: HELP, positionals: { count: 1, what: "one topology file" } }, own);
    if (typeof parsed === "number") return parsed;
    const { values, positionals } = parsed;
    let transport: Transport;
    try {
      transport = parseTransport(values.transport);
    } catch (err) {
      console.error(`mock-accel launch: ${(err as Error).message}`);
      return EXIT_USAGE;
    }
    for (const [flag, file] of [["--kernel", values.kernel], ["--initrd", values.initrd]] as const) {
      if (file !== undefined && !existsSync(file)) {
        console.error(`mock-accel launch: ${flag} ${file}: no such file`);
        return EXIT_USAGE;
      }
    }
    let vm: TopologyVm;
    let file: string;
    try {
      const topology = loadTopologyFile(positionals[0]!);
      vm = findVm(topology, values.vm);
      file = topology.file;
    } catch (err) {
      console.error(err instanceof TopologyError ? err.message : `mock-accel launch: ${(err as Error).message}`);
      return err instanceof VmNotFoundError ? EXIT_USAGE : 1;
    }
    const runDir = values["run-dir"] ?? defaultRunDir();
    const qemu = values.qemu ?? (transport === "vfio-user" ? ((await findVfioUserQemu({ install: false })) ?? "qemu-system-x86_64") : "qemu-system-x86_64");
    if (transport === "proxy" && values.accel !== "tcg" && vmCpus(vm) > 1) {
      console.error(
        `mock-accel launch: warning: with --accel ${values.accel} and ${vmCpus(vm)} CPUs, QEMU's x-pci-proxy-dev refuses concurrent accesses to one device ("Blocked re-entrant IO"); use tcg or vfio-user`,
      );
    }
    const base = ["-accel", accelArg(values.accel, transport), "-nodefaults", "-display", "none", "-serial", "mon:stdio"];
    const boot = [
      ...(values.kernel ? ["-kernel", values.kernel] : []),
      ...(values.initrd ? ["-initrd", values.initrd] : []),
      ...(values.kernel ? ["-append", values.append] : []),
    ];
    if (values["dry-run"]) {
      const args = qemuArgs(vm, { transport, runDir, fdFor: (_d, i) => 3 + i });
      console.log(`${qemu} \\\n${formatArgs([...base, ...boot, ...args, ...extra])}`);
      return 0;
    }
    let prepared: PreparedLaunch;
    try {
      prepared = await prepareLaunch(vm, file, { transport, qemu, runDir, serve: !values.external, verbose: values.verbose });
    } catch (err) {
      console.error(`mock-accel launch: ${(err as Error).message}`);
      return 1;
    }
    if (prepared.running) console.error(describeServed(prepared.running.devices, transport));
    const child = spawn(qemu, [...base, ...boot, ...prepared.qemuArgs, ...extra], {
      stdio: ["inherit", "inherit", "inherit", ...prepared.inheritFds],
    });
    const forward = (signal: NodeJS.Signals) => {
      if (child.exitCode === null) child.kill(signal);
    };
    // QEMU has its own copies now; ours would keep the connections open after it exits.
    prepared.releaseFds();
    const code = await new Promise<number>((resolve) => {
      child.on("error", (err) => {
        console.error(`mock-accel launch: cannot start ${qemu}: ${err.message}`);
        resolve(1);
      });
      child.on("exit", (status, signal) => resolve(status ?? (signal ? 128 + (osConstants.signals[signal] ?? 15) : 1)));
      // Installed until the devices are closed below: a second Ctrl-C must not kill this
      // process before its sockets are removed.
      process.on("SIGINT", forward);
      process.on("SIGTERM", forward);
    });
    await prepared.close();
    process.off("SIGINT", forward);
    process.off("SIGTERM", forward);
    return code;
  },
};

function vmCpus(vm: TopologyVm): number {
  return vm.numaNodes.reduce((n, node) => n + node.cpus, 0);
}

function describeServed(devices: readonly ServedDevice[], transport: Transport): string {
  const lines = devices.map((s) => `  ${s.device.id.padEnd(20)} ${s.device.kind.toUpperCase()} numa ${s.device.numaNode} uuid ${s.uuid}`);
  return `serving ${devices.length} device(s) over ${transport}:\n${lines.join("\n")}`;
}
