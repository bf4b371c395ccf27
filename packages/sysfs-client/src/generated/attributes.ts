// Generated from spec/registers.yaml by packages/codegen (src/emit/emit-client-attributes.ts).
// Do not edit: change the spec and run `bun run codegen`.

import { Type, type TSchema } from "@sinclair/typebox";
/** The spec's device.name: the kernel module's name and the C prefix. */
export const DEVICE_NAME = "mock_accel";
export const SYSFS_CLASS = "mock-accel";
/** Class device (and /dev node) names: `{pf}` is the PF's number, `{vf}` a VF's VF_INDEX. */
export const DEVICE_NAMES = { pf: "mock{pf}", vf: "mock{pf}_vf{vf}" } as const;
/** The firmware wordlist the driver loads, and its word count (what `wordlist_size` shows once loaded). */
export const FIRMWARE = { file: "mock-accel-wordlist.txt", words: 7772 } as const;
export const PCI_IDS = { vendorId: 0x1de5, pfDeviceId: 0x0001, vfDeviceId: 0x0002, classCode: 0x120000, revisionId: 0x01, subsystemVendorId: 0x0000, subsystemId: 0x0000 } as const;
/** VF n of a PF is PCI function PF + firstVfOffset + n * vfStride. */
export const SRIOV = { maxTotalVfs: 7, firstVfOffset: 1, vfStride: 1 } as const;
/** device_config defaults a device server starts a PF or VF with; null where the spec gives none. */
export const DEVICE_CONFIG_DEFAULTS = {
  uuid: { pf: null, vf: null },
  memory_size: { pf: 17179869184n, vf: 2147483648n },
  capabilities: { pf: 1n, vf: 1n },
  fw_version: { pf: 66048n, vf: 66048n },
  total_vfs: { pf: 0n, vf: 0n },
  vf_index: { pf: 4294967295n, vf: 4294967295n },
} as const;

export interface SemVer {
  major: number;
  minor: number;
  patch: number;
}

/** Values of passphrase_status (register PASSPHRASE_STATUS). */
export type PassphraseStatus =
  | "idle"
  | "busy"
  | "ready"
  | "error";
export const PASSPHRASE_STATUS_NAMES: readonly PassphraseStatus[] = ["idle", "busy", "ready", "error"];

/** What a read returns (and a write takes), per attribute. */
export interface AttributeTypes {
  uuid: string;
  memory_size: bigint;
  capabilities: number;
  status: number;
  numa_node: number;
  fw_version: SemVer;
  sriov_totalvfs: number;
  sriov_numvfs: number;
  vf_index: number;
  passphrase_length: number;
  passphrase_generate: number;
  passphrase_status: PassphraseStatus;
  passphrase_count: number;
  passphrase: string;
  wordlist_loaded: boolean;
  wordlist_size: number;
  load_wordlist: number;
}

export type AttributeName = keyof AttributeTypes;
/** Attributes whose mode has a read bit. */
export type ReadableAttributeName =
  | "uuid"
  | "memory_size"
  | "capabilities"
  | "status"
  | "numa_node"
  | "fw_version"
  | "sriov_totalvfs"
  | "sriov_numvfs"
  | "vf_index"
  | "passphrase_length"
  | "passphrase_status"
  | "passphrase_count"
  | "passphrase"
  | "wordlist_loaded"
  | "wordlist_size";
/** Attributes whose mode has a write bit. */
export type WritableAttributeName =
  | "status"
  | "sriov_numvfs"
  | "passphrase_length"
  | "passphrase_generate"
  | "load_wordlist";

export interface AttributeSpec<N extends AttributeName> {
  readonly name: N;
  readonly mode: number;
  readonly readable: boolean;
  readonly writable: boolean;
  readonly functions: "all" | "pf" | "vf";
  /** The spec's text format (named textFormat: `format` is the function below). */
  readonly textFormat: "decimal" | "hex32" | "uuid" | "semver" | "enum" | "string" | "bool";
  /** Validates a value before it is written. */
  readonly schema: TSchema;
  readonly dra: { readonly kind: "attribute" | "capacity"; readonly name: string; /** A capacity also published as an int attribute of this name. */ readonly alsoAttribute: string | null } | null;
  readonly description: string;
  /** Value after a device reset (the register's constant reset); null for driver attributes and device_config-sourced registers. */
  readonly reset: AttributeTypes[N] | null;
  /** Attribute whose current value bounds writes (the spec's write max names its register); null when the bound is constant. */
  readonly writeMaxAttribute: ReadableAttributeName | null;
  /** Kernel text (trailing newline allowed) -> value; undefined when it does not parse. */
  parse(text: string): AttributeTypes[N] | undefined;
  /** Value -> exactly the text the kernel shows, newline included. */
  format(value: AttributeTypes[N]): string;
}

/** Every show ends with one newline; it is optional here, anything else is part of the value. */
function lineBody(text: string): string {
  return text.endsWith("\n") ? text.slice(0, -1) : text;
}

/** Decimal as the kernel prints %u/%llu: digits only, no sign, no leading zeros, at most `max`. */
function parseUnsigned(text: string, max: bigint): bigint | undefined {
  const body = lineBody(text);
  if (!/^(0|[1-9][0-9]*)$/.test(body)) return undefined;
  const value = BigInt(body);
  return value <= max ? value : undefined;
}

function parseU32(text: string, max: number = 0xffffffff): number | undefined {
  const value = parseUnsigned(text, BigInt(max));
  return value === undefined ? undefined : Number(value);
}

function parseU64(text: string, max: bigint = 0xffffffffffffffffn): bigint | undefined {
  return parseUnsigned(text, max);
}

/** Decimal as the kernel prints %d. */
function parseS32(text: string): number | undefined {
  const body = lineBody(text);
  if (!/^(0|-?[1-9][0-9]*)$/.test(body)) return undefined;
  const value = Number(body);
  return value >= -0x80000000 && value <= 0x7fffffff ? value : undefined;
}

function formatDecimal(value: number | bigint): string {
  return `${value}\n`;
}

/** 0x%08x: exactly eight lower-case hex digits. */
function parseHex32(text: string, max: number = 0xffffffff): number | undefined {
  const body = lineBody(text);
  if (!/^0x[0-9a-f]{8}$/.test(body)) return undefined;
  const value = Number.parseInt(body.slice(2), 16);
  return value <= max ? value : undefined;
}

function formatHex32(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, "0")}\n`;
}

/** %pUb: canonical lower-case 8-4-4-4-12. */
function parseUuid(text: string): string | undefined {
  const body = lineBody(text);
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(body) ? body : undefined;
}

function formatUuid(value: string): string {
  return `${value.toLowerCase()}\n`;
}

/** %u.%u.%u, each part within its field's width. */
function parseSemver(text: string, max: SemVer): SemVer | undefined {
  const m = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/.exec(lineBody(text));
  if (!m) return undefined;
  const value: SemVer = { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
  return value.major <= max.major && value.minor <= max.minor && value.patch <= max.patch ? value : undefined;
}

function formatSemver(value: SemVer): string {
  return `${value.major}.${value.minor}.${value.patch}\n`;
}

/** An enum's lower-case value name; the kernel's "unknown" (a value the spec does not list) is undefined. */
function parseChoice<T extends string>(text: string, choices: readonly T[]): T | undefined {
  const body = lineBody(text);
  return choices.find((c) => c === body);
}

function formatChoice(value: string): string {
  return `${value}\n`;
}

/** A string register as stored up to its first NUL: one line, at most the register's size. */
function parseLine(text: string, maxLength: number): string | undefined {
  const body = lineBody(text);
  return body.length <= maxLength && !body.includes("\n") && !body.includes("\0") ? body : undefined;
}

function formatLine(value: string): string {
  return `${value}\n`;
}

function parseBool(text: string): boolean | undefined {
  const body = lineBody(text);
  return body === "1" ? true : body === "0" ? false : undefined;
}

function formatBool(value: boolean): string {
  return value ? "1\n" : "0\n";
}

export const ATTRIBUTES: { readonly [N in AttributeName]: AttributeSpec<N> } = {
  uuid: {
    name: "uuid",
    mode: 0o444,
    readable: true,
    writable: false,
    functions: "all",
    textFormat: "uuid",
    schema: Type.String({ pattern: "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$" }),
    dra: { kind: "attribute", name: "uuid", alsoAttribute: null },
    description: "Device UUID.",
    reset: null,
    writeMaxAttribute: null,
    parse: parseUuid,
    format: formatUuid,
  },
  memory_size: {
    name: "memory_size",
    mode: 0o444,
    readable: true,
    writable: false,
    functions: "all",
    textFormat: "decimal",
    schema: Type.BigInt({ minimum: 0n, maximum: 18446744073709551615n }),
    dra: { kind: "capacity", name: "memory", alsoAttribute: "memory" },
    description: "Device memory in bytes.",
    reset: null,
    writeMaxAttribute: null,
    parse: parseU64,
    format: formatDecimal,
  },
  capabilities: {
    name: "capabilities",
    mode: 0o444,
    readable: true,
    writable: false,
    functions: "all",
    textFormat: "hex32",
    schema: Type.Integer({ minimum: 0, maximum: 4294967295 }),
    dra: { kind: "attribute", name: "capabilities", alsoAttribute: null },
    description: "Capability bits.",
    reset: null,
    writeMaxAttribute: null,
    parse: parseHex32,
    format: formatHex32,
  },
  status: {
    name: "status",
    mode: 0o644,
    readable: true,
    writable: true,
    functions: "all",
    textFormat: "hex32",
    schema: Type.Integer({ minimum: 0, maximum: 4294967295 }),
    dra: null,
    description: "Allocation state; bit 0 is the allocated flag. Accepts any base-0 u32.",
    reset: 0,
    writeMaxAttribute: null,
    parse: parseHex32,
    format: formatHex32,
  },
  numa_node: {
    name: "numa_node",
    mode: 0o444,
    readable: true,
    writable: false,
    functions: "all",
    textFormat: "decimal",
    schema: Type.Integer({ minimum: -2147483648, maximum: 2147483647 }),
    dra: { kind: "attribute", name: "numaNode", alsoAttribute: null },
    description: "NUMA node of the PCI device (-1 when unknown).",
    reset: null,
    writeMaxAttribute: null,
    parse: parseS32,
    format: formatDecimal,
  },
  fw_version: {
    name: "fw_version",
    mode: 0o444,
    readable: true,
    writable: false,
    functions: "all",
    textFormat: "semver",
    schema: Type.Object({ major: Type.Integer({ minimum: 0, maximum: 255 }), minor: Type.Integer({ minimum: 0, maximum: 255 }), patch: Type.Integer({ minimum: 0, maximum: 255 }) }),
    dra: { kind: "attribute", name: "firmwareVersion", alsoAttribute: null },
    description: "Firmware version \"M.m.p\".",
    reset: null,
    writeMaxAttribute: null,
    parse: (text) => parseSemver(text, { major: 255, minor: 255, patch: 255 }),
    format: formatSemver,
  },
  sriov_totalvfs: {
    name: "sriov_totalvfs",
    mode: 0o444,
    readable: true,
    writable: false,
    functions: "pf",
    textFormat: "decimal",
    schema: Type.Integer({ minimum: 0, maximum: 4294967295 }),
    dra: null,
    description: "VFs this PF carries, from SRIOV_TOTAL_VFS.",
    reset: null,
    writeMaxAttribute: null,
    parse: parseU32,
    format: formatDecimal,
  },
  sriov_numvfs: {
    name: "sriov_numvfs",
    mode: 0o644,
    readable: true,
    writable: true,
    functions: "pf",
    textFormat: "decimal",
    schema: Type.Integer({ minimum: 0, maximum: 7 }),
    dra: null,
    description: "VFs enabled; writing N (0..sriov_totalvfs) shows mock<pf>_vf0..N-1.",
    reset: null,
    writeMaxAttribute: "sriov_totalvfs",
    parse: parseU32,
    format: formatDecimal,
  },
  vf_index: {
    name: "vf_index",
    mode: 0o444,
    readable: true,
    writable: false,
    functions: "vf",
    textFormat: "decimal",
    schema: Type.Integer({ minimum: 0, maximum: 4294967295 }),
    dra: null,
    description: "This VF's index under its PF, from VF_INDEX, or from its PCI function (function - 1) when VF_INDEX is 0xFFFFFFFF.",
    reset: null,
    writeMaxAttribute: null,
    parse: parseU32,
    format: formatDecimal,
  },
  passphrase_length: {
    name: "passphrase_length",
    mode: 0o644,
    readable: true,
    writable: true,
    functions: "all",
    textFormat: "decimal",
    schema: Type.Integer({ minimum: 4, maximum: 12 }),
    dra: null,
    description: "Words in the next generated passphrase (4..12).",
    reset: 6,
    writeMaxAttribute: null,
    parse: parseU32,
    format: formatDecimal,
  },
  passphrase_generate: {
    name: "passphrase_generate",
    mode: 0o200,
    readable: false,
    writable: true,
    functions: "all",
    textFormat: "decimal",
    schema: Type.Literal(1),
    dra: null,
    description: "Write 1 to generate a passphrase.",
    reset: null,
    writeMaxAttribute: null,
    parse: parseU32,
    format: formatDecimal,
  },
  passphrase_status: {
    name: "passphrase_status",
    mode: 0o444,
    readable: true,
    writable: false,
    functions: "all",
    textFormat: "enum",
    schema: Type.Union([Type.Literal("idle"), Type.Literal("busy"), Type.Literal("ready"), Type.Literal("error")]),
    dra: null,
    description: "idle, busy, ready or error.",
    reset: "idle",
    writeMaxAttribute: null,
    parse: (text) => parseChoice(text, PASSPHRASE_STATUS_NAMES),
    format: formatChoice,
  },
  passphrase_count: {
    name: "passphrase_count",
    mode: 0o444,
    readable: true,
    writable: false,
    functions: "all",
    textFormat: "decimal",
    schema: Type.Integer({ minimum: 0, maximum: 4294967295 }),
    dra: null,
    description: "Words in the last passphrase.",
    reset: 0,
    writeMaxAttribute: null,
    parse: parseU32,
    format: formatDecimal,
  },
  passphrase: {
    name: "passphrase",
    mode: 0o444,
    readable: true,
    writable: false,
    functions: "all",
    textFormat: "string",
    schema: Type.String({ maxLength: 256 }),
    dra: null,
    description: "The last passphrase, words separated by spaces.",
    reset: "",
    writeMaxAttribute: null,
    parse: (text) => parseLine(text, 256),
    format: formatLine,
  },
  wordlist_loaded: {
    name: "wordlist_loaded",
    mode: 0o444,
    readable: true,
    writable: false,
    functions: "all",
    textFormat: "bool",
    schema: Type.Boolean(),
    dra: null,
    description: "1 when the firmware wordlist is loaded.",
    reset: null,
    writeMaxAttribute: null,
    parse: parseBool,
    format: formatBool,
  },
  wordlist_size: {
    name: "wordlist_size",
    mode: 0o444,
    readable: true,
    writable: false,
    functions: "all",
    textFormat: "decimal",
    schema: Type.Integer({ minimum: 0, maximum: 4294967295 }),
    dra: null,
    description: "Words in the loaded firmware wordlist.",
    reset: null,
    writeMaxAttribute: null,
    parse: parseU32,
    format: formatDecimal,
  },
  load_wordlist: {
    name: "load_wordlist",
    mode: 0o200,
    readable: false,
    writable: true,
    functions: "all",
    textFormat: "decimal",
    schema: Type.Literal(1),
    dra: null,
    description: "Write 1 to reload firmware mock-accel-wordlist.txt.",
    reset: null,
    writeMaxAttribute: null,
    parse: parseU32,
    format: formatDecimal,
  },
};
/** Spec order. */
export const ATTRIBUTE_NAMES: readonly AttributeName[] = [
  "uuid",
  "memory_size",
  "capabilities",
  "status",
  "numa_node",
  "fw_version",
  "sriov_totalvfs",
  "sriov_numvfs",
  "vf_index",
  "passphrase_length",
  "passphrase_generate",
  "passphrase_status",
  "passphrase_count",
  "passphrase",
  "wordlist_loaded",
  "wordlist_size",
  "load_wordlist",
];
/** Boolean DRA attributes, one per field of a register whose mapping says `bits: true` (CEL has no bitwise operators). */
export const DRA_BIT_ATTRIBUTES: readonly { readonly attribute: ReadableAttributeName; readonly name: string; readonly field: string; readonly mask: number }[] = [
  { attribute: "capabilities", name: "compute", field: "COMPUTE", mask: 0x1 },
  { attribute: "capabilities", name: "encryption", field: "ENCRYPTION", mask: 0x2 },
  { attribute: "capabilities", name: "compression", field: "COMPRESSION", mask: 0x4 },
  { attribute: "capabilities", name: "p2pDma", field: "P2P_DMA", mask: 0x8 },
];
/** Fields of the CAPABILITIES register behind the `capabilities` attribute. */
export const CAPABILITIES_FIELDS = {
  COMPUTE: { lsb: 0, widthBits: 1, mask: 0x1 },
  ENCRYPTION: { lsb: 1, widthBits: 1, mask: 0x2 },
  COMPRESSION: { lsb: 2, widthBits: 1, mask: 0x4 },
  P2P_DMA: { lsb: 3, widthBits: 1, mask: 0x8 },
} as const;
/** Fields of the STATUS register behind the `status` attribute. */
export const STATUS_FIELDS = {
  ALLOCATED: { lsb: 0, widthBits: 1, mask: 0x1 },
} as const;
/** Fields of the FW_VERSION register behind the `fw_version` attribute. */
export const FW_VERSION_FIELDS = {
  MAJOR: { lsb: 16, widthBits: 8, mask: 0xff0000 },
  MINOR: { lsb: 8, widthBits: 8, mask: 0xff00 },
  PATCH: { lsb: 0, widthBits: 8, mask: 0xff },
} as const;
