// Topology values that become device configuration: sizes, capability names, versions.
// Capability names come from the spec's CAPABILITIES fields, so a new capability bit in
// spec/registers.yaml is usable in topology files with no change here.
import { CAPABILITIES_FIELDS, parseSize } from "@mock-accel/server";

export function parseMemorySize(value: string | number): bigint {
  return typeof value === "number" ? BigInt(value) : parseSize(value);
}

export const CAPABILITY_NAMES: readonly string[] = Object.keys(CAPABILITIES_FIELDS).map((n) => n.toLowerCase());

/** Bit mask for capability names; `compute` is always set (the device has nothing without it). */
export function capabilityBits(names: readonly string[]): bigint {
  let bits = (CAPABILITIES_FIELDS as Record<string, { mask: bigint }>)["COMPUTE"]?.mask ?? 1n;
  for (const name of names) {
    const field = (CAPABILITIES_FIELDS as Record<string, { mask: bigint }>)[name.toUpperCase()];
    if (!field) throw new Error(`unknown capability '${name}' (known: ${CAPABILITY_NAMES.join(", ")})`);
    bits |= field.mask;
  }
  return bits;
}

/** "1.2.3" -> 0x00010203, the FW_VERSION register layout. */
export function parseFwVersion(text: string): bigint {
  const parts = text.split(".").map(Number);
  if (parts.length !== 3 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    throw new Error(`fw_version '${text}' is not M.m.p with each part 0..255`);
  return BigInt((parts[0]! << 16) | (parts[1]! << 8) | parts[2]!);
}
