// What a fake device's attribute files hold: the spec's defaults for a device a test describes
// only in part (device_config defaults, reset values, firmware), each value checked against the
// attribute's schema, and the text the driver's show() would print for it.
import { Value } from "@sinclair/typebox/value";
import {
  ATTRIBUTE_NAMES,
  ATTRIBUTES,
  DEVICE_CONFIG_DEFAULTS,
  FIRMWARE,
  FW_VERSION_FIELDS,
  type AttributeName,
  type AttributeSpec,
  type AttributeTypes,
  type SemVer,
} from "./generated/attributes.ts";
import { isVisibleOn, type DeviceKind } from "./attribute-io.ts";
import { uuidFromLabelOrCanonical } from "./device-uuid.ts";

/** Values of any attribute, for the ones a topology has no field for (status, passphrase, ...). */
export type FakeAttributeValues = { [N in AttributeName]?: AttributeTypes[N] };

/** A device_config default the spec must give (a fake device needs a value). */
function configDefault(name: keyof typeof DEVICE_CONFIG_DEFAULTS, kind: DeviceKind): bigint {
  const v = DEVICE_CONFIG_DEFAULTS[name][kind];
  if (v === null) throw new Error(`spec/registers.yaml: device_config ${name} has no default_${kind}; the fake sysfs needs one`);
  return v;
}

function semverOf(raw: bigint): SemVer {
  const part = (f: { lsb: number; mask: number }) => (Number(raw) & f.mask) >>> f.lsb;
  return { major: part(FW_VERSION_FIELDS.MAJOR), minor: part(FW_VERSION_FIELDS.MINOR), patch: part(FW_VERSION_FIELDS.PATCH) };
}

// Defaults are device_config's in spec/registers.yaml, through the generated client.
export const PF_MEMORY_BYTES = configDefault("memory_size", "pf");
export const VF_MEMORY_BYTES = configDefault("memory_size", "vf");
export const PF_CAPABILITIES = Number(configDefault("capabilities", "pf"));
export const VF_CAPABILITIES = Number(configDefault("capabilities", "vf"));
export const DEFAULT_FW: SemVer = semverOf(configDefault("fw_version", "pf"));
/** What a freshly reset device shows: every attribute whose register has a constant reset. */
const RESET_VALUES: FakeAttributeValues = Object.fromEntries(
  ATTRIBUTE_NAMES.flatMap((n) => (ATTRIBUTES[n].reset === null ? [] : [[n, ATTRIBUTES[n].reset]])),
);

/** A topology's uuid (canonical, or a label) or else the device's name, by the one UUID rule. */
export function deviceUuid(label: string, where: string): string {
  try {
    return uuidFromLabelOrCanonical(label).canonical;
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`);
  }
}

export function toSemVer(v: SemVer | string, where: string): SemVer {
  if (typeof v !== "string") return v;
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(v);
  if (!m) throw new Error(`${where}: fwVersion ${JSON.stringify(v)} is not M.m.p`);
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

export function spec<N extends AttributeName>(name: N): AttributeSpec<N> {
  // The mapped type indexes to AttributeSpec<N>; TypeScript cannot see that through a generic N.
  return ATTRIBUTES[name] as unknown as AttributeSpec<N>;
}

/** Text for an attribute the topology says nothing about (one a spec extension added). */
function neutralText(s: AttributeSpec<AttributeName>): string {
  switch (s.textFormat) {
    case "hex32":
      return "0x00000000\n";
    case "uuid":
      return "00000000-0000-0000-0000-000000000000\n";
    case "semver":
      return "0.0.0\n";
    case "string":
      return "\n";
    case "enum": {
      const first = (s.schema as { anyOf?: { const?: unknown }[] }).anyOf?.[0]?.const;
      return `${typeof first === "string" ? first : "unknown"}\n`;
    }
    default:
      return "0\n";
  }
}

/** Why a topology value cannot be shown by the driver (the attribute's schema), or null. */
export function valueProblem(s: AttributeSpec<AttributeName>, value: unknown): string | null {
  if (Value.Check(s.schema, value)) return null;
  return [...Value.Errors(s.schema, value)].map((e) => e.message).join("; ") || "does not match the spec's schema";
}

export const describeValue = (v: unknown): string => (typeof v === "bigint" ? `${v}n` : JSON.stringify(v));

export function formatValue<N extends AttributeName>(name: N, value: AttributeTypes[N]): string {
  return spec(name).format(value);
}

/** The values every function starts with: reset values, then what the topology gives. */
export function deviceValues(uuid: string, memory: bigint, caps: number, fw: SemVer, numaNode: number): FakeAttributeValues {
  return {
    ...RESET_VALUES,
    uuid,
    memory_size: memory,
    capabilities: caps,
    numa_node: numaNode,
    fw_version: fw,
    wordlist_loaded: true,
    wordlist_size: FIRMWARE.words,
  };
}

/**
 * The text of each attribute the driver shows on a `kind` function, from `values` (each checked
 * against its schema; `where` names the topology entry in errors) or a neutral default.
 */
export function attributeTexts(kind: DeviceKind, values: FakeAttributeValues, where: string): Map<AttributeName, string> {
  for (const [n, v] of Object.entries(values) as [AttributeName, unknown][]) {
    const problem = Object.hasOwn(ATTRIBUTES, n) ? valueProblem(spec(n), v) : "not an attribute in spec/registers.yaml";
    if (problem) throw new Error(`${where}: ${n} = ${describeValue(v)}: ${problem}`);
  }
  const texts = new Map<AttributeName, string>();
  for (const n of ATTRIBUTE_NAMES) {
    if (!isVisibleOn(n, kind)) continue;
    const s = spec(n);
    const v = values[n];
    texts.set(n, !s.readable ? "" : v !== undefined ? formatValue(n, v) : neutralText(s));
  }
  return texts;
}
