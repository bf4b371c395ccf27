// Per-device configuration: the values a device server starts a device with (UUID, memory
// size, ...). Names, types, defaults and bounds come from the generated DEVICE_CONFIG table
// (spec/registers.yaml `device_config`), so a new entry there is picked up here unchanged.
import {
  MOCK_ACCEL_UUID_NAMESPACE,
  uuidFromLabelOrCanonical,
  uuidToCanonical,
  uuidV5,
  type DeviceUuid,
} from "@mock-accel/sysfs-client/device-uuid";
import { DEVICE_CONFIG, PCI, type DeviceConfig, type DeviceConfigDef } from "../generated/registers.ts";

export type DeviceKind = "pf" | "vf";

/** VF_INDEX on a PF: the spec's device_config vf_index default for PFs. */
const VF_INDEX_NONE: bigint = (() => {
  const v = DEVICE_CONFIG.find((d) => d.name === "vf_index")?.defaultPf;
  if (typeof v !== "bigint") throw new Error("spec: device_config vf_index has no default_pf (the PF's \"no index\" value)");
  return v;
})();

/**
 * VF_INDEX on a VF served without an index: the spec's device_config vf_index default for VFs.
 * The guest driver then numbers the VF by its PCI function (function N+1 is VF N), the rule of
 * the old mock-device driver, whose server had no --vf-index.
 */
export const VF_INDEX_FROM_FUNCTION: bigint = (() => {
  const v = DEVICE_CONFIG.find((d) => d.name === "vf_index")?.defaultVf;
  if (typeof v !== "bigint") throw new Error("spec: device_config vf_index has no default_vf (the VF's \"numbered by its PCI function\" value)");
  return v;
})();

const SIZE_UNITS: Record<string, bigint> = { "": 1n, b: 1n, k: 1n << 10n, m: 1n << 20n, g: 1n << 30n, t: 1n << 40n, p: 1n << 50n };
const U64_MAX = (1n << 64n) - 1n;

/**
 * Parse a memory size: plain bytes (`4096`), or a number with a binary suffix as QEMU's `-m`
 * reads it: `K`, `M`, `G`, `T`, `P`, optionally followed by `iB` (`16G` = `16GiB` = 16 GiB).
 * Decimal suffixes (`GB`) are refused as ambiguous. A fraction is allowed when it gives whole
 * bytes (`1.5G`). The result is 1..2^64-1.
 */
export function parseSize(text: string): bigint {
  const bad = (why: string) =>
    new Error(`invalid size "${text}": ${why} (expected bytes or a number with K, M, G, T suffix, binary: 16G, 512M, 2GiB, 4096)`);
  const m = /^\s*(\d+)(?:\.(\d+))?\s*([kmgtp]?)(ib|b)?\s*$/i.exec(text);
  if (!m) {
    if (/^\s*\d+(\.\d+)?\s*[kmgtp]b\s*$/i.test(text)) throw bad("decimal units like GB are ambiguous; write G or GiB");
    throw bad("not a size");
  }
  const [, whole = "", frac = "", unitRaw = "", tail] = m;
  const unit = unitRaw.toLowerCase();
  if (tail !== undefined && tail.toLowerCase() === "b" && unit !== "") throw bad("decimal units like GB are ambiguous; write G or GiB");
  if (tail !== undefined && tail.toLowerCase() === "ib" && unit === "") throw bad("'iB' needs a unit letter");
  const multiplier = SIZE_UNITS[unit];
  if (multiplier === undefined) throw bad("unknown unit");
  const scale = 10n ** BigInt(frac.length);
  const scaled = (BigInt(whole) * scale + (frac === "" ? 0n : BigInt(frac))) * multiplier;
  if (scaled % scale !== 0n) throw bad("the fraction does not give a whole number of bytes");
  const bytes = scaled / scale;
  if (bytes === 0n) throw bad("must be greater than 0");
  if (bytes > U64_MAX) throw bad("larger than 2^64-1 bytes");
  return bytes;
}

// The label -> UUID rule lives with the client library, so the device server, topology files
// and the fake sysfs trees share one function (and one test: topology/test/uuid-rule.test.ts).
export { MOCK_ACCEL_UUID_NAMESPACE, uuidFromLabelOrCanonical, uuidToCanonical, uuidV5, type DeviceUuid };

type Numeric = bigint | number;

export interface DeviceConfigOptions {
  kind: DeviceKind;
  /** 16 raw bytes, or text for uuidFromLabelOrCanonical. */
  uuid: Uint8Array | string;
  /** Bytes, or text for parseSize ("16G"). */
  memorySize?: Numeric | string;
  capabilities?: Numeric;
  fwVersion?: Numeric;
  totalVfs?: Numeric;
  vfIndex?: Numeric;
}

const camel = (snake: string) => snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const TYPE_MAX: Record<"u32" | "u64", bigint> = { u32: 0xffff_ffffn, u64: U64_MAX };

function toBigint(def: DeviceConfigDef, raw: unknown): bigint {
  const where = `device config ${def.name}`;
  let v: bigint;
  if (typeof raw === "bigint") v = raw;
  else if (typeof raw === "number") {
    if (!Number.isSafeInteger(raw)) throw new Error(`${where}: ${raw} is not a whole number`);
    v = BigInt(raw);
  } else if (typeof raw === "string" && def.name === "memory_size") v = parseSize(raw);
  else if (typeof raw === "string" && /^(0x[0-9a-f]+|\d+)$/i.test(raw.trim())) v = BigInt(raw.trim());
  else throw new Error(`${where}: expected a number, got ${JSON.stringify(raw)}`);
  if (def.type === "uuid") throw new Error(`${where}: expected a UUID`);
  const typeMax = TYPE_MAX[def.type];
  if (v < 0n || v > typeMax) throw new Error(`${where}: ${v} does not fit ${def.type}`);
  if (def.max !== null && v > def.max) {
    throw new Error(`${where}: ${v} exceeds the maximum ${def.max} (spec/registers.yaml device_config ${def.name}.max)`);
  }
  return v;
}

/**
 * Build and validate a device's configuration. Every entry of the spec's device_config is
 * filled from `options` (camelCase of its name), else from the spec's default for the kind;
 * entries the spec marks required for the kind must be given.
 */
export function buildDeviceConfig(options: DeviceConfigOptions): DeviceConfig {
  const { kind } = options;
  if (kind !== "pf" && kind !== "vf") throw new Error(`device config: kind must be "pf" or "vf", got ${JSON.stringify(kind)}`);
  const given = options as unknown as Record<string, unknown>;
  const out: Record<string, bigint | Uint8Array> = {};
  for (const def of DEVICE_CONFIG) {
    const raw = given[camel(def.name)];
    if (def.type === "uuid") {
      if (raw === undefined) throw new Error(`device config ${def.name}: required`);
      if (raw instanceof Uint8Array) {
        if (raw.length !== 16) throw new Error(`device config ${def.name}: a UUID has 16 bytes, got ${raw.length}`);
        out[def.name] = new Uint8Array(raw);
      } else if (typeof raw === "string") out[def.name] = uuidFromLabelOrCanonical(raw).bytes;
      else throw new Error(`device config ${def.name}: expected a UUID string or 16 bytes`);
      continue;
    }
    if (raw !== undefined) {
      out[def.name] = toBigint(def, raw);
      continue;
    }
    const fallback = kind === "pf" ? def.defaultPf : def.defaultVf;
    if (fallback === null) {
      throw new Error(`device config ${def.name}: required for a ${kind === "pf" ? "physical" : "virtual"} function (option ${camel(def.name)})`);
    }
    out[def.name] = fallback;
  }
  // Rules between entries the spec states in prose, not in device_config.
  if (kind === "vf" && out.total_vfs !== undefined && out.total_vfs !== 0n) {
    throw new Error(`device config total_vfs: a virtual function carries no VFs (got ${String(out.total_vfs)})`);
  }
  const vfIndex = out.vf_index;
  if (kind === "pf" && given.vfIndex !== undefined && vfIndex !== VF_INDEX_NONE) {
    throw new Error(`device config vf_index: only a VF has an index (a PF's is 0x${VF_INDEX_NONE.toString(16).toUpperCase()}), got ${String(vfIndex)}`);
  }
  if (kind === "vf" && typeof vfIndex === "bigint" && vfIndex >= BigInt(PCI.sriov.maxTotalVfs) && vfIndex !== VF_INDEX_FROM_FUNCTION) {
    throw new Error(
      `device config vf_index: ${vfIndex} is outside 0..${PCI.sriov.maxTotalVfs - 1} (or 0x${VF_INDEX_FROM_FUNCTION.toString(16).toUpperCase()}: numbered by its PCI function)`,
    );
  }
  return out as unknown as DeviceConfig;
}
