// The flags of `mock-accel serve` and of the compiled `mock-accel-server`, compatible with the
// old C server: [-v] [-u UUID] [-m SIZE] [--vf] [--total-vfs N] <socket-path>, plus
// --vf-index N, --socket-mode MODE and --transport vfio-user|proxy. Every mistake is one line
// naming the flag.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { DEVICE_CONFIG, PCI, type DeviceConfig } from "../generated/registers.ts";
import { buildDeviceConfig, uuidFromLabelOrCanonical, type DeviceKind, type DeviceUuid } from "../device/device-config.ts";
import { HOST_TRANSPORTS, type HostTransport } from "../transports/device-host.ts";
import { parseSocketMode } from "./socket-mode.ts";
import { DEFAULT_SOCKET_MODE } from "../transports/socket-path.ts";

/** How QEMU reaches the device: `vfio-user-pci` (libvfio-user) or `x-pci-proxy-dev` (multi-process). */
export type ServeTransport = HostTransport;

export interface ServeOptions {
  socketPath: string;
  transport: ServeTransport;
  kind: DeviceKind;
  config: DeviceConfig;
  uuid: DeviceUuid;
  /** The -u text, or null when the UUID was derived from the socket path. */
  uuidLabel: string | null;
  socketMode: number;
  verbose: boolean;
}

export type ParsedServeArgs = { help: true } | ({ help: false } & ServeOptions);

export class ServeUsageError extends Error {
  override name = "ServeUsageError";
}

/** A default from the spec's device_config, as the help shows it (16G, 2G, 0). */
function specDefault(name: string, kind: DeviceKind): string {
  const def = DEVICE_CONFIG.find((d) => d.name === name);
  const value = kind === "pf" ? def?.defaultPf : def?.defaultVf;
  if (value === null || value === undefined) return "none";
  if (name !== "memory_size") return String(value);
  for (const [unit, shift] of [["T", 40n], ["G", 30n], ["M", 20n], ["K", 10n]] as const) {
    if (value >= 1n << shift && value % (1n << shift) === 0n) return `${value >> shift}${unit}`;
  }
  return String(value);
}

export function serveUsage(program: string): string {
  return `Usage: ${program} [options] <socket-path>

Serve one mock-accel device on a UNIX socket until SIGINT/SIGTERM, which remove the
socket: over vfio-user (QEMU's vfio-user-pci) or, with --transport proxy, over QEMU's
multi-process protocol (x-pci-proxy-dev). A client that disconnects (guest reboot, QEMU restart) can reconnect:
the device listens again and keeps its registers (only a device reset resets them).

Options:
  -u, --uuid UUID        canonical UUID, or any label mapped to a fixed UUID (printed at start);
                         default: derived from the socket path
  -m, --memory SIZE      device memory: 16G, 512M, 2GiB or bytes (default: PF ${specDefault("memory_size", "pf")}, VF ${specDefault("memory_size", "vf")})
      --vf               serve a virtual function (device ID 0x${PCI.vfDeviceId.toString(16).padStart(4, "0")}) instead of a physical one
      --total-vfs N      PF only: VFs it carries, 0..${PCI.sriov.maxTotalVfs} (SR-IOV TotalVFs, SRIOV_TOTAL_VFS; default ${specDefault("total_vfs", "pf")})
      --vf-index N       VF only: its index 0..${PCI.sriov.maxTotalVfs - 1} (VF_INDEX); default: the guest driver
                         numbers the VF by its PCI function (function N+1 is VF N), as the old
                         mock-device driver did
      --socket-mode MODE octal permissions of the socket (default 0600)
      --transport T      vfio-user (default; QEMU's vfio-user-pci) or proxy (QEMU's x-pci-proxy-dev)
  -v, --verbose          log every access and libvfio-user's own messages
  -h, --help             show this help`;
}

function parseInteger(flag: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) throw new ServeUsageError(`${flag}: expected a whole number ${min}..${max}, got "${text}"`);
  const n = Number(text);
  if (n < min || n > max) throw new ServeUsageError(`${flag}: ${n} is outside ${min}..${max}`);
  return n;
}

function parseTransport(text: string): ServeTransport {
  const found = HOST_TRANSPORTS.find((t) => t === text);
  if (found === undefined) throw new ServeUsageError(`--transport: expected ${HOST_TRANSPORTS.join(" or ")}, not '${text}'`);
  return found;
}

function parseMode(text: string): number {
  try {
    return parseSocketMode(text);
  } catch (err) {
    throw new ServeUsageError(`--socket-mode: ${(err as Error).message}`);
  }
}

/** Parse argv (the arguments after the command name). Throws ServeUsageError. */
export function parseServeArgs(argv: string[]): ParsedServeArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        uuid: { type: "string", short: "u" },
        memory: { type: "string", short: "m" },
        vf: { type: "boolean" },
        "total-vfs": { type: "string" },
        "vf-index": { type: "string" },
        "socket-mode": { type: "string" },
        transport: { type: "string" },
        verbose: { type: "boolean", short: "v" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    // node's messages carry advice on a second sentence; the first names the flag.
    const message = err instanceof Error ? err.message : String(err);
    throw new ServeUsageError(message.split(". ")[0]!.replace(/\.$/, ""));
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true };
  if (positionals.length === 0) throw new ServeUsageError("missing <socket-path>");
  if (positionals.length > 1) throw new ServeUsageError(`one <socket-path> expected, got ${positionals.length}: ${positionals.join(" ")}`);
  const socketPath = positionals[0]!;
  const kind: DeviceKind = values.vf ? "vf" : "pf";
  if (kind === "vf" && values["total-vfs"] !== undefined) throw new ServeUsageError("--total-vfs: a virtual function carries no VFs (drop --vf or --total-vfs)");
  if (kind === "pf" && values["vf-index"] !== undefined) throw new ServeUsageError("--vf-index: only a virtual function (--vf) has an index");
  const totalVfs = values["total-vfs"] === undefined ? undefined : parseInteger("--total-vfs", values["total-vfs"], 0, PCI.sriov.maxTotalVfs);
  const vfIndex = values["vf-index"] === undefined ? undefined : parseInteger("--vf-index", values["vf-index"], 0, PCI.sriov.maxTotalVfs - 1);
  const socketMode = values["socket-mode"] === undefined ? DEFAULT_SOCKET_MODE : parseMode(values["socket-mode"]);
  const transport = values.transport === undefined ? "vfio-user" : parseTransport(values.transport);

  const uuidLabel = values.uuid ?? null;
  let uuid: DeviceUuid;
  try {
    uuid = uuidFromLabelOrCanonical(uuidLabel ?? `socket:${resolve(socketPath)}`);
  } catch (err) {
    throw new ServeUsageError(`-u: ${err instanceof Error ? err.message : String(err)}`);
  }
  let config: DeviceConfig;
  try {
    config = buildDeviceConfig({
      kind,
      uuid: uuid.bytes,
      ...(values.memory !== undefined ? { memorySize: values.memory } : {}),
      ...(totalVfs !== undefined ? { totalVfs } : {}),
      // No --vf-index: the spec's VF default, which leaves the index to the guest driver.
      ...(vfIndex !== undefined ? { vfIndex } : {}),
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new ServeUsageError(values.memory !== undefined && /size/.test(message) ? `-m: ${message}` : message);
  }
  return { help: false, socketPath, transport, kind, config, uuid, uuidLabel, socketMode, verbose: values.verbose ?? false };
}
