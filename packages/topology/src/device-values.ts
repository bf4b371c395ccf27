// Topology values that become device configuration: sizes, capability names, versions.
// Capability names come from the spec's CAPABILITIES fields, so a new capability bit in
// spec/registers.yaml is usable in topology files with no change here.
import { CAPABILITIES_FIELDS, FW_VERSION_FIELDS, parseSize } from "@mock-accel/server";

export function parseMemorySize(value: string | number): bigint {
  if (typeof value === "string") return parseSize(value);
  // YAML gives numbers as doubles: beyond 2^53 the value is no longer the one written.
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`size ${String(value)} is not a byte count from 1 to ${Number.MAX_SAFE_INTEGER}; write large sizes with a unit, e.g. "16G"`);
  }
  return BigInt(value);
}

type CapabilityField = keyof typeof CAPABILITIES_FIELDS;
const capabilityFields: ReadonlyMap<string, bigint> = new Map(
  (Object.keys(CAPABILITIES_FIELDS) as CapabilityField[]).map((n) => [n.toLowerCase(), CAPABILITIES_FIELDS[n].mask]),
);

export const CAPABILITY_NAMES: readonly string[] = [...capabilityFields.keys()];

/** Bit mask for capability names; `compute` is always set (the device has nothing without it). */
export function capabilityBits(names: readonly string[]): bigint {
  let bits = CAPABILITIES_FIELDS.COMPUTE.mask;
  for (const name of names) {
    const mask = capabilityFields.get(name.toLowerCase());
    if (mask === undefined) throw new Error(`unknown capability '${name}' (known: ${CAPABILITY_NAMES.join(", ")})`);
    bits |= mask;
  }
  return bits;
}

/** "1.2.3" -> the FW_VERSION register value, laid out by the spec's MAJOR/MINOR/PATCH fields. */
export function parseFwVersion(text: string): bigint {
  const fields = [FW_VERSION_FIELDS.MAJOR, FW_VERSION_FIELDS.MINOR, FW_VERSION_FIELDS.PATCH];
  const parts = text.split(".").map(Number);
  const fits = (p: number, i: number) => Number.isInteger(p) && p >= 0 && p < 2 ** fields[i]!.widthBits;
  if (parts.length !== 3 || !parts.every(fits)) throw new Error(`fw_version '${text}' is not M.m.p with each part 0..255`);
  return parts.reduce((v, p, i) => v | (BigInt(p) << BigInt(fields[i]!.lsb)), 0n);
}
