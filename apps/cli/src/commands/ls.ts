// `mock-accel ls [--root DIR] [--json | --dra [--domain D]]`: what the sysfs client sees.
import {
  ATTRIBUTE_NAMES,
  ATTRIBUTES,
  MockAccelSysfs,
  MockAccelSysfsError,
  type ReadableAttributeName,
  dnsLabelName,
  toDeviceAttributes,
  type DeviceAttributeValues,
  type MockAccelDevice,
} from "@mock-accel/sysfs-client";
import { EXIT_USAGE, type CommandModule } from "../command.ts";
import { parseCommand } from "../args.ts";

const HELP = `Usage: mock-accel ls [options]

List the mock-accel devices the kernel driver shows under <root>/class/mock-accel, with
their attributes, as @mock-accel/sysfs-client reads them.

Options:
  --root DIR      sysfs mount point, or a fake tree (default /sys)
  --json          every device and every attribute, typed (64-bit values as strings)
  --dra           the ResourceSlice device entries a DRA driver would publish (JSON)
  --domain D      attribute domain for --dra (default mock-accel.example.com)
  -h, --help      show this help

Exit status: 0, 1 if sysfs could not be read (the message names the path), 2 for bad options.`;

interface Row {
  device: MockAccelDevice;
  /** The attributes that read and parsed; one bad file spoils only its own cell. */
  attributes: DeviceAttributeValues;
  errors: MockAccelSysfsError[];
}

/** Every readable attribute the function shows, one by one, so each failure names its own file. */
async function readEach(device: MockAccelDevice): Promise<Row> {
  const names = ATTRIBUTE_NAMES.filter((n): n is ReadableAttributeName => ATTRIBUTES[n].readable && device.has(n as ReadableAttributeName));
  const results = await Promise.allSettled(names.map((n) => device.read(n)));
  const attributes: Record<string, unknown> = {};
  const errors: MockAccelSysfsError[] = [];
  results.forEach((r, i) => {
    if (r.status === "fulfilled") attributes[names[i]!] = r.value;
    else if (r.reason instanceof MockAccelSysfsError) errors.push(r.reason);
    else throw r.reason;
  });
  return { device, attributes: attributes as DeviceAttributeValues, errors };
}

const GIB = 1n << 30n;
const MIB = 1n << 20n;

function humanBytes(bytes: bigint): string {
  if (bytes % GIB === 0n) return `${bytes / GIB} GiB`;
  if (bytes % MIB === 0n) return `${bytes / MIB} MiB`;
  return `${bytes} B`;
}

const hex32 = (v: number) => `0x${v.toString(16).padStart(8, "0")}`;

function cells(row: Row): string[] {
  const d = row.device;
  const a = row.attributes;
  const vfs = d.kind === "pf" ? `${a.sriov_numvfs ?? "error"}/${a.sriov_totalvfs ?? "error"}` : `vf${d.vfIndex} of ${d.pf?.name ?? d.pf?.pciAddress}`;
  return [
    d.name,
    d.kind.toUpperCase(),
    d.pciAddress,
    String(d.numaNode),
    a.memory_size !== undefined ? humanBytes(a.memory_size) : "error",
    a.uuid ?? "error",
    a.status !== undefined ? hex32(a.status) : "error",
    vfs,
  ];
}

function table(rows: Row[]): string {
  const header = ["NAME", "KIND", "PCI", "NUMA", "MEMORY", "UUID", "STATUS", "VFS"];
  const body = rows.map(cells);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(header), ...body.map(line)].join("\n");
}

/** JSON with bigints as decimal strings (JSON has no 64-bit integers). */
const json = (value: unknown) => JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);

const errorJson = (e: MockAccelSysfsError) => ({ name: e.name, message: e.message, path: e.path });

const OPTIONS = {
  root: { type: "string", default: "/sys" },
  json: { type: "boolean", default: false },
  dra: { type: "boolean", default: false },
  domain: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

export const command: CommandModule = {
  async run(argv) {
    const parsed = parseCommand({ name: "ls", options: OPTIONS, help: HELP }, argv);
    if (typeof parsed === "number") return parsed;
    const { values } = parsed;
    if (values.json && values.dra) {
      console.error("mock-accel ls: --json and --dra are two different outputs; pick one");
      return EXIT_USAGE;
    }
    if (values.domain !== undefined && !values.dra) {
      console.error("mock-accel ls: --domain only applies to --dra");
      return EXIT_USAGE;
    }
    const client = new MockAccelSysfs({ root: values.root });
    let devices: MockAccelDevice[];
    try {
      devices = await client.discover();
    } catch (err) {
      if (err instanceof MockAccelSysfsError) {
        console.error(`mock-accel ls: ${err.message}`);
        return 1;
      }
      throw err;
    }

    let failed = false;
    const report = (e: unknown): MockAccelSysfsError => {
      if (!(e instanceof MockAccelSysfsError)) throw e;
      console.error(`mock-accel ls: ${e.message}`);
      failed = true;
      return e;
    };

    if (values.dra) {
      const entries = [];
      for (const device of devices) {
        try {
          const { attributes, capacity } = await toDeviceAttributes(device, values.domain !== undefined ? { domain: values.domain } : {});
          entries.push({ name: dnsLabelName(device), attributes, capacity });
        } catch (e) {
          entries.push({ name: dnsLabelName(device), error: errorJson(report(e)) });
        }
      }
      console.log(json(entries));
      return failed ? 1 : 0;
    }

    const rows = await Promise.all(devices.map(readEach));
    for (const row of rows) row.errors.forEach(report);
    if (values.json) {
      console.log(
        json(
          rows.map(({ device, attributes, errors }) => ({
            ...device.toJSON(),
            attributes,
            ...(errors.length > 0 ? { errors: errors.map(errorJson) } : {}),
          })),
        ),
      );
    } else if (rows.length === 0) {
      console.log(`no mock-accel devices under ${client.classDir} (the driver is loaded but shows none)`);
    } else console.log(table(rows));
    return failed ? 1 : 0;
  },
};
