// `mock-accel probe <socket> [--json]`: connect to a device socket as a vfio-user client and
// report what it offers (protocol, regions, PCI identity, capabilities, SR-IOV) and every
// BAR0 register decoded with the spec. Lets a user check a device without booting a VM.
import { parseArgs } from "node:util";
import { decodeConfigSpace, type DecodedConfigSpace } from "../device/config-decode.ts";
import { PCI_BASE_CLASS, PCI_CFG } from "../device/pci-constants.ts";
import { decodeBar0, type DecodedRegister } from "../device/register-decode.ts";
import { BAR0_SIZE_BYTES, PCI, REGISTERS } from "../generated/registers.ts";
import { VfioUserClient, type DeviceInfo, type RegionInfo, type VersionInfo } from "./vfio-user-client.ts";
import { PCI_REGION, regionName } from "./vfio-user-protocol.ts";

export interface ProbeReport {
  socket: string;
  protocol: VersionInfo;
  device: DeviceInfo;
  regions: (Omit<RegionInfo, "offset"> & { name: string })[];
  config: DecodedConfigSpace;
  /** True when vendor and device ID are mock-accel's (PF or VF). */
  isMockAccel: boolean;
  kind: "pf" | "vf" | null;
  registers: DecodedRegister[];
}

/** Connect, read everything, disconnect. */
export async function probeDevice(socketPath: string, options: { timeoutMs?: number } = {}): Promise<ProbeReport> {
  const client = await VfioUserClient.connect(socketPath, { timeoutMs: options.timeoutMs });
  try {
    const device = await client.deviceInfo();
    const regions: ProbeReport["regions"] = [];
    for (let index = 0; index < device.numRegions; index++) {
      const { offset: _mmapOffset, ...info } = await client.regionInfo(index);
      if (info.sizeBytes > 0) regions.push({ ...info, name: regionName(index) });
    }
    const configRegion = regions.find((r) => r.index === PCI_REGION.CONFIG);
    if (!configRegion) throw new Error(`${socketPath}: the device has no PCI config region`);
    const config = decodeConfigSpace(await client.regionRead(PCI_REGION.CONFIG, 0, configRegion.sizeBytes));
    const isMockAccel = config.vendorId === PCI.vendorId && (config.deviceId === PCI.pfDeviceId || config.deviceId === PCI.vfDeviceId);
    let registers: DecodedRegister[] = [];
    const bar0 = regions.find((r) => r.index === PCI_REGION.BAR0);
    if (isMockAccel && bar0) {
      // One read covering every register (the holes between them read 0).
      const last = REGISTERS.at(-1)!;
      const span = Math.min(bar0.sizeBytes, BAR0_SIZE_BYTES, last.offsetBytes + last.sizeBytes);
      const image = new Uint8Array(BAR0_SIZE_BYTES);
      image.set(await client.regionRead(PCI_REGION.BAR0, 0, span));
      registers = decodeBar0(image);
    }
    const kind = !isMockAccel ? null : config.deviceId === PCI.pfDeviceId ? "pf" : "vf";
    return { socket: socketPath, protocol: client.version!, device, regions, config, isMockAccel, kind, registers };
  } finally {
    client.close();
  }
}

const hex = (v: number, digits: number) => v.toString(16).padStart(digits, "0");
const LINK_SPEEDS: Record<number, string> = { 1: "2.5 GT/s", 2: "5 GT/s", 3: "8 GT/s", 4: "16 GT/s", 5: "32 GT/s", 6: "64 GT/s" };

/** The human-readable report. */
export function formatProbeReport(r: ProbeReport): string {
  const c = r.config;
  const lines: string[] = [];
  const row = (label: string, text: string) => lines.push(`  ${label.padEnd(13)}${text}`);
  lines.push(`${r.socket}: ${r.isMockAccel ? `mock-accel ${r.kind === "pf" ? "physical" : "virtual"} function` : "not a mock-accel device"}`);
  const caps = Object.entries(r.protocol.capabilities).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(", ");
  row("protocol", `vfio-user ${r.protocol.major}.${r.protocol.minor}${caps ? `; ${caps}` : ""}`);
  row("device", `${r.device.pci ? "PCI" : "not PCI"}${r.device.reset ? ", reset" : ""}; ${r.device.numRegions} regions, ${r.device.numIrqs} IRQ types`);
  row("regions", r.regions.map((g) => `${g.name} ${g.sizeBytes} bytes ${g.readable ? "r" : ""}${g.writable ? "w" : ""}${g.mmappable ? "m" : ""}`).join("; "));
  row("ids", `${hex(c.vendorId, 4)}:${hex(c.deviceId, 4)} rev ${hex(c.revisionId, 2)}, subsystem ${hex(c.subsystemVendorId, 4)}:${hex(c.subsystemId, 4)}`);
  row("class", `0x${hex(c.classCode, 6)}${c.classCode >>> 16 === PCI_BASE_CLASS.PROCESSING_ACCELERATOR ? " (processing accelerator)" : ""}`);
  row("header", `type ${c.headerType}${c.multifunction ? ", multifunction" : ""}; BAR0 ${c.bar0.bits}-bit ${c.bar0.space}${c.bar0.prefetchable ? " prefetchable" : ", non-prefetchable"}`);
  const express = c.express;
  row(
    "capabilities",
    c.capabilities.length === 0
      ? "none"
      : c.capabilities
          .map((cap) =>
            cap.id === PCI_CFG.CAP_ID_EXP && express
              ? `0x${hex(cap.offset, 2)} PCI Express v${express.version} ${express.deviceType}, link ${LINK_SPEEDS[express.maxLinkSpeed] ?? "?"} x${express.maxLinkWidth}`
              : `0x${hex(cap.offset, 2)} ${cap.name}`,
          )
          .join("; "),
  );
  row("extended", c.extendedCapabilities.length === 0 ? "none" : c.extendedCapabilities.map((e) => `0x${hex(e.offset, 3)} ${e.name} v${e.version}`).join("; "));
  if (c.sriov) {
    const s = c.sriov;
    row("SR-IOV", `TotalVFs ${s.totalVfs}, InitialVFs ${s.initialVfs}, NumVFs ${s.numVfs}, first VF offset ${s.firstVfOffset}, stride ${s.vfStride}, VF device ${hex(s.vfDeviceId, 4)}`);
  }
  if (r.registers.length > 0) {
    lines.push("", "BAR0 registers");
    const width = Math.max(...r.registers.map((g) => g.name.length));
    for (const g of r.registers) {
      const raw = g.sizeBytes <= 8 ? g.raw.padEnd(18) : "".padEnd(18);
      const fields = g.fields && !/\d+\.\d+\.\d+/.test(g.text) ? `  ${Object.entries(g.fields).map(([k, v]) => `${k}=${v}`).join(" ")}` : "";
      lines.push(`  0x${hex(g.offsetBytes, 3)} ${g.name.padEnd(width)} ${g.access} ${raw} ${g.text}${fields}`.trimEnd());
    }
  }
  return `${lines.join("\n")}\n`;
}

export const PROBE_USAGE = `Usage: mock-accel probe [--json] [--timeout MS] <socket>

Connect to a mock-accel device socket as a vfio-user client and print its IDs, regions,
capabilities, SR-IOV fields and every BAR0 register decoded.

Options:
  --json          print the report as JSON
  --timeout MS    give up on a silent server after MS milliseconds (default 5000)
  -h, --help      show this help`;

export interface ProbeIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processIo: ProbeIo = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
};

/** Run `probe` with its arguments; resolves to the exit code (2 bad usage, 1 failure). */
export async function runProbe(argv: string[], io: ProbeIo = processIo, prog = "mock-accel probe"): Promise<number> {
  let values: { json?: boolean; timeout?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: { json: { type: "boolean" }, timeout: { type: "string" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    }));
  } catch (err) {
    // node:util's messages run on with advice about `--`; the first sentence is the error.
    const first = (err instanceof Error ? err.message : String(err)).split("\n")[0]!.replace(/\. To specify a positional.*$/, "");
    io.stderr(`${prog}: ${first} (see --help)\n`);
    return 2;
  }
  if (values.help) {
    io.stdout(`${PROBE_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) {
    io.stderr(`${prog}: ${positionals.length === 0 ? "missing <socket>" : `expected one <socket>, got ${positionals.length}`} (see --help)\n`);
    return 2;
  }
  let timeoutMs: number | undefined;
  if (values.timeout !== undefined) {
    timeoutMs = Number(values.timeout);
    if (!/^\d+$/.test(values.timeout) || timeoutMs <= 0) {
      io.stderr(`${prog}: --timeout takes a positive number of milliseconds, got "${values.timeout}"\n`);
      return 2;
    }
  }
  const socketPath = positionals[0]!;
  try {
    const report = await probeDevice(socketPath, { timeoutMs });
    io.stdout(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatProbeReport(report));
    return 0;
  } catch (err) {
    io.stderr(`${prog}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
