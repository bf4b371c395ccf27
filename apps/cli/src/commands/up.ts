// `mock-accel up <topology> [--transport vfio-user|proxy] [--run-dir DIR] [--vm NAME]...`
import { parseArgs } from "node:util";
import { EXIT_USAGE, type CommandModule } from "../command.ts";
import { bringUp, defaultRunDir, loadTopologyFile, TopologyError, type ServedDevice, type Transport } from "@mock-accel/topology";

const HELP = `Usage: mock-accel up <topology.yaml> [options]

Serve every device of every VM in the topology from this one process, until SIGINT/SIGTERM
(sockets are removed on the way out).

Options:
  --transport T      vfio-user (default) or proxy
  --run-dir DIR      where sockets go: DIR/<vm>/<device-id>.sock (default ${defaultRunDir()})
  --vm NAME          only this VM (repeatable)
  --socket-mode M    octal permissions of the sockets (default 0600)
  -v, --verbose      log every register write the guests make
  -h, --help         show this help`;

export function devicesTable(devices: readonly ServedDevice[]): string {
  const rows = devices.map((s) => [
    s.device.vm,
    s.device.id,
    s.device.kind.toUpperCase(),
    String(s.device.numaNode),
    `${Number(s.config.memory_size >> 20n) / 1024} GiB`,
    s.uuid,
    s.socketPath,
  ]);
  const header = ["VM", "DEVICE", "KIND", "NUMA", "MEMORY", "UUID", "SOCKET"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}

export const command: CommandModule = {
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        options: {
          transport: { type: "string", default: "vfio-user" },
          "run-dir": { type: "string" },
          vm: { type: "string", multiple: true },
          "socket-mode": { type: "string" },
          verbose: { type: "boolean", short: "v", default: false },
          help: { type: "boolean", short: "h", default: false },
        },
        allowPositionals: true,
      });
    } catch (err) {
      console.error(`mock-accel up: ${(err as Error).message}`);
      return EXIT_USAGE;
    }
    const { values, positionals } = parsed;
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    if (positionals.length !== 1) {
      console.error("mock-accel up: expected one topology file (see --help)");
      return EXIT_USAGE;
    }
    const transport = values.transport as Transport;
    if (transport !== "vfio-user" && transport !== "proxy") {
      console.error(`mock-accel up: --transport must be vfio-user or proxy, not '${values.transport}'`);
      return EXIT_USAGE;
    }
    const socketMode = values["socket-mode"] === undefined ? undefined : Number.parseInt(values["socket-mode"], 8);
    if (socketMode !== undefined && (!Number.isInteger(socketMode) || socketMode < 0 || socketMode > 0o777)) {
      console.error(`mock-accel up: --socket-mode must be octal like 0600, not '${values["socket-mode"]}'`);
      return EXIT_USAGE;
    }
    let topology;
    try {
      topology = loadTopologyFile(positionals[0]!);
      for (const name of values.vm ?? []) if (!topology.vms.some((v) => v.name === name)) throw new Error(`${topology.file} has no VM named '${name}'`);
    } catch (err) {
      console.error(err instanceof TopologyError ? err.message : `mock-accel up: ${(err as Error).message}`);
      return 1;
    }
    const started = performance.now();
    const tty = process.stderr.isTTY;
    let running;
    try {
      running = await bringUp(topology, {
        transport,
        runDir: values["run-dir"] ?? defaultRunDir(),
        ...(values.vm ? { vms: values.vm } : {}),
        ...(socketMode !== undefined ? { socketMode } : {}),
        verbose: values.verbose,
        onProgress: (done, total, s) => {
          const line = `starting devices: ${done}/${total} (${s.device.id})`;
          if (tty) process.stderr.write(`\r${line}\x1b[K${done === total ? "\n" : ""}`);
          else process.stderr.write(`${line}\n`);
        },
      });
    } catch (err) {
      console.error(`mock-accel up: ${(err as Error).message}`);
      return 1;
    }
    console.log(devicesTable(running.devices));
    console.log(`\n${running.devices.length} device(s) up over ${transport} in ${Math.round(performance.now() - started)} ms. Ctrl-C stops them.`);
    // Handlers stay installed until the sockets are gone: a second Ctrl-C while closing must
    // not kill the process half-way and leave sockets behind.
    let stopping = false;
    await new Promise<void>((resolve) => {
      const onSignal = () => {
        if (stopping) return;
        stopping = true;
        resolve();
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
    });
    // The host's worker and timers do not hold the loop open; this does until close finishes.
    const keepAlive = setInterval(() => {}, 1000);
    await running.close();
    clearInterval(keepAlive);
    console.error("stopped; sockets removed");
    return 0;
  },
};
