// `mock-accel up <topology> [--transport vfio-user|proxy] [--run-dir DIR] [--vm NAME]...`
import { VfioUserHost } from "@mock-accel/server";
import type { CommandModule } from "../command.ts";
import { formatTable, parseCommand, parseTransport, runUsage, UsageError } from "../args.ts";
import { parseSocketMode } from "@mock-accel/server";
import { bringUp, defaultRunDir, findVm, loadTopologyFile, TopologyError, VmNotFoundError, type ServedDevice, type Transport } from "@mock-accel/topology";

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

export function devicesTable(devices: readonly ServedDevice[], indent = ""): string {
  const rows = devices.map((s) => [
    s.device.vm,
    s.device.id,
    s.device.kind.toUpperCase(),
    String(s.device.numaNode),
    `${Number(s.config.memory_size >> 20n) / 1024} GiB`,
    s.uuid,
    s.socketPath,
  ]);
  return formatTable(["VM", "DEVICE", "KIND", "NUMA", "MEMORY", "UUID", "SOCKET"], rows, indent);
}

const OPTIONS = {
  transport: { type: "string", default: "vfio-user" },
  "run-dir": { type: "string" },
  vm: { type: "string", multiple: true },
  "socket-mode": { type: "string" },
  verbose: { type: "boolean", short: "v", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

function socketModeFlag(text: string): number {
  try {
    return parseSocketMode(text);
  } catch (err) {
    throw new UsageError(`--socket-mode: ${(err as Error).message}`);
  }
}

export const command: CommandModule = {
  run: (argv) => runUsage("up", () => up(argv)),
};

async function up(argv: string[]): Promise<number> {
  const parsed = parseCommand({ name: "up", options: OPTIONS, help: HELP, positionals: { count: 1, what: "one topology file" } }, argv);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const transport: Transport = parseTransport(values.transport);
  const socketMode = values["socket-mode"] === undefined ? undefined : socketModeFlag(values["socket-mode"]);
  let topology;
  try {
    topology = loadTopologyFile(positionals[0]!);
    for (const name of values.vm ?? []) findVm(topology, name);
  } catch (err) {
    if (err instanceof VmNotFoundError) throw new UsageError(err.message);
    console.error(err instanceof TopologyError ? err.message : `mock-accel up: ${(err as Error).message}`);
    return 1;
  }
  // Signal handlers go in before the first socket exists and stay until the last is removed: a
  // Ctrl-C while starting, or a second one while closing, must not leave sockets behind.
  let stopRequested!: () => void;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  process.on("SIGINT", stopRequested);
  process.on("SIGTERM", stopRequested);
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
    process.off("SIGINT", stopRequested);
    process.off("SIGTERM", stopRequested);
    console.error(`mock-accel up: ${(err as Error).message}`);
    return 1;
  }
  console.log(devicesTable(running.devices));
  console.log(`\n${running.devices.length} device(s) up over ${transport} in ${Math.round(performance.now() - started)} ms. Ctrl-C stops them.`);
  await stopped;
  if (running.host instanceof VfioUserHost) {
    // What the clients did over the life of this process, for whoever watches a long run.
    const st = running.host.stats();
    console.error(
      `vfio-user: ${st.accepted} connections accepted, ${st.attached} attached, ${st.handshakeTimeouts} handshakes timed out, ` +
        `${st.handshakeRefused} refused; longest single event ${(st.longestEventMicros / 1000).toFixed(3)} ms, ` +
        `most CPU time in one event ${(st.longestEventCpuMicros / 1000).toFixed(3)} ms`,
    );
  }
  // The host's worker and timers do not hold the loop open; this does until close finishes.
  const keepAlive = setInterval(() => {}, 1000);
  await running.close();
  clearInterval(keepAlive);
  console.error("stopped; sockets removed");
  return 0;
}
