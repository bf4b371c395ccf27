// Per-device configuration: the values a device server starts a device with (UUID, memory
// size, ...). Names, types, defaults and bounds come from the generated DEVICE_CONFIG table
// (spec/registers.yaml `device_config`), so a new entry there is picked up here unchanged.
import { DEVICE_CONFIG, PCI, type DeviceConfig, type DeviceConfigDef } from "../generated/registers.ts";

export type DeviceKind = "pf" | "vf";

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

/** A UUID as 16 raw bytes (RFC 4122 byte order) and its canonical lower-case 8-4-4-4-12 text. */
export interface DeviceUuid {
  bytes: Uint8Array;
  canonical: string;
  /** True when the UUID was derived from a label rather than given. */
  derived: boolean;
}

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** RFC 4122 appendix C: the name space for fully-qualified domain names. */
const RFC4122_DNS_NAMESPACE = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";

export function uuidToCanonical(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new Error(`a UUID has 16 bytes, got ${bytes.length}`);
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function canonicalToBytes(text: string): Uint8Array {
  const hex = text.replaceAll("-", "");
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** RFC 4122 version 5 (SHA-1, name-based) UUID of `name` in `namespace`. */
export function uuidV5(namespace: Uint8Array, name: string): Uint8Array {
  // Bun's own hasher, not node:crypto: loading that module costs about 5 MB of RSS in every
  // process that builds a device config (issue 20).
  const hasher = new Bun.CryptoHasher("sha1");
  hasher.update(namespace);
  hasher.update(name);
  const bytes = new Uint8Array(hasher.digest().subarray(0, 16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return bytes;
}

/**
 * Name space of label-derived device UUIDs: the version-5 UUID of the DNS name
 * "mock-accel.invalid" (a reserved TLD, so it can never collide with a real domain's).
 * Every mock-accel tool derives the same UUID from the same label.
 */
export const MOCK_ACCEL_UUID_NAMESPACE: string = uuidToCanonical(uuidV5(canonicalToBytes(RFC4122_DNS_NAMESPACE), "mock-accel.invalid"));
const NAMESPACE_BYTES = canonicalToBytes(MOCK_ACCEL_UUID_NAMESPACE);

/**
 * A canonical UUID (any case) is taken as is; any other non-empty label maps to the version-5
 * UUID of the label in MOCK_ACCEL_UUID_NAMESPACE, so `-u gpu0` gives the same UUID every run.
 */
export function uuidFromLabelOrCanonical(text: string): DeviceUuid {
  if (CANONICAL_UUID.test(text)) {
    const bytes = canonicalToBytes(text);
    return { bytes, canonical: uuidToCanonical(bytes), derived: false };
  }
  if (text.length === 0) throw new Error('invalid UUID "": give a canonical UUID (8-4-4-4-12 hex) or a non-empty label');
  const bytes = uuidV5(NAMESPACE_BYTES, text);
  return { bytes, canonical: uuidToCanonical(bytes), derived: true };
}

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
  if (kind === "pf" && given.vfIndex !== undefined && vfIndex !== 0xffff_ffffn) {
    throw new Error(`device config vf_index: only a VF has an index (a PF's is 0xFFFFFFFF), got ${String(vfIndex)}`);
  }
  if (kind === "vf" && typeof vfIndex === "bigint" && vfIndex >= BigInt(PCI.sriov.maxTotalVfs)) {
    throw new Error(`device config vf_index: ${vfIndex} is outside 0..${PCI.sriov.maxTotalVfs - 1}`);
  }
  return out as unknown as DeviceConfig;
}
