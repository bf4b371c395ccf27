// The serve runner shared by `mock-accel serve` and the compiled `mock-accel-server`: parse the
// flags, start one device over vfio-user or the proxy transport, print what it is, serve until SIGINT/SIGTERM, remove the
// socket, exit 0. Bad flags: one line on stderr, exit 2.
import { uuidToCanonical, VF_INDEX_FROM_FUNCTION } from "../device/device-config.ts";
import { createConsoleLogger, type Logger } from "../device/logger.ts";
import type { DeviceHost } from "../transports/device-host.ts";
import { startDeviceHost } from "../transports/start-host.ts";
import { parseServeArgs, serveUsage, ServeUsageError, type ServeOptions } from "./serve-args.ts";

export { parseServeArgs, type ServeOptions, type ServeTransport } from "./serve-args.ts";
export const SERVE_USAGE = serveUsage;

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export interface ServeIo {
  stdout(line: string): void;
  stderr(line: string): void;
}

const defaultIo: ServeIo = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
};

function formatBytes(bytes: bigint): string {
  for (const [unit, shift] of [["TiB", 40n], ["GiB", 30n], ["MiB", 20n], ["KiB", 10n]] as const) {
    if (bytes >= 1n << shift && bytes % (1n << shift) === 0n) return `${bytes >> shift} ${unit}`;
  }
  return `${bytes} bytes`;
}

/** What the server prints at start: one line a person (or a script) can read the UUID from. */
export function describeDevice(o: ServeOptions, socketPath: string): string {
  const uuid = uuidToCanonical(o.config.uuid);
  const from = o.uuidLabel === null ? " (derived from the socket path)" : o.uuid.derived ? ` (derived from label "${o.uuidLabel}")` : "";
  const sriov =
    o.kind === "pf" ? `total VFs ${o.config.total_vfs}` : o.config.vf_index === VF_INDEX_FROM_FUNCTION ? "VF index from its PCI function (function - 1)" : `VF index ${o.config.vf_index}`;
  return `serving ${o.kind.toUpperCase()} over ${o.transport} on ${socketPath}: uuid ${uuid}${from}, memory ${formatBytes(o.config.memory_size)}, ${sriov}, socket mode ${o.socketMode.toString(8).padStart(4, "0")}`;
}

/**
 * Run the server. Resolves to the exit code once a signal has stopped it (or at once on bad
 * flags or a start-up failure). `program` names the command in messages.
 */
export async function runServe(argv: string[], program = "mock-accel-server", io: ServeIo = defaultIo): Promise<number> {
  let options: ServeOptions;
  try {
    const parsed = parseServeArgs(argv);
    if (parsed.help) {
      io.stdout(serveUsage(program));
      return EXIT_OK;
    }
    options = parsed;
  } catch (err) {
    if (err instanceof ServeUsageError) {
      io.stderr(`${program}: ${err.message} (see --help)`);
      return EXIT_USAGE;
    }
    throw err;
  }

  const log = createConsoleLogger(options.verbose ? "debug" : "info", program);
  let host: DeviceHost;
  try {
    host = await startDeviceHost(options.transport, { log, logLevel: options.verbose ? "debug" : "info" });
  } catch (err) {
    io.stderr(`${program}: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT_FAILURE;
  }

  // Signals first, so one arriving during start-up still removes the socket.
  let stop!: (signal: string) => void;
  const stopped = new Promise<string>((resolve) => (stop = resolve));
  const onSignal = (signal: NodeJS.Signals) => stop(signal);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    let device;
    try {
      device = await host.addDevice({ socketPath: options.socketPath, kind: options.kind, config: options.config, socketMode: options.socketMode });
    } catch (err) {
      io.stderr(`${program}: ${err instanceof Error ? err.message : String(err)}`);
      return EXIT_FAILURE;
    }
    if (options.verbose) {
      host.on("register-write", (e) => log.debug(`${e.name} = 0x${e.value.toString(16)} (was 0x${e.previous.toString(16)})`));
    }
    io.stdout(describeDevice(options, device.socketPath));
    const signal = await stopped;
    log.info(`${signal}: removing ${device.socketPath} and exiting`);
    return EXIT_OK;
  } finally {
    await host.close();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
