// Turns BAR0 register bytes into what a person reads: enum names, fields, the canonical UUID,
// memory in bytes and GiB, firmware M.m.p, the passphrase text. Used by `probe` (over a
// socket) and anything else holding a BAR0 image; driven by the generated register table.
import { REGISTERS, type RegisterDef } from "../generated/registers.ts";
import { uuidToCanonical } from "./device-config.ts";

export interface DecodedRegister {
  name: string;
  offsetBytes: number;
  sizeBytes: number;
  access: RegisterDef["access"];
  /** The value as hex (registers up to 8 bytes), or the bytes as hex, byte 0 first. */
  raw: string;
  /** The value as a person reads it. */
  text: string;
  /** Field name -> value, for registers with fields. */
  fields?: Record<string, number>;
  /** Enum value name, for registers with an enum (undefined when the value is not listed). */
  enumName?: string;
}

const GIB = 1n << 30n;

function littleEndian(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

function formatGib(bytes: bigint): string {
  const whole = bytes / GIB;
  const rest = bytes % GIB;
  if (rest === 0n) return `${whole} GiB`;
  return `${(Number(bytes) / Number(GIB)).toFixed(3)} GiB`;
}

/** Decode one register from the bytes a read of the whole register returned. */
export function decodeRegister(def: RegisterDef, bytes: Uint8Array): DecodedRegister {
  if (bytes.length !== def.sizeBytes) throw new Error(`${def.name}: expected ${def.sizeBytes} bytes, got ${bytes.length}`);
  const base = { name: def.name, offsetBytes: def.offsetBytes, sizeBytes: def.sizeBytes, access: def.access };
  if (def.sizeBytes > 8) {
    const raw = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    if (def.source === "uuid" || def.sizeBytes === 16) return { ...base, raw, text: uuidToCanonical(bytes) };
    const nul = bytes.indexOf(0);
    const text = new TextDecoder().decode(bytes.subarray(0, nul < 0 ? bytes.length : nul));
    return { ...base, raw: raw.replace(/(00)+$/, "") || "00", text: JSON.stringify(text) };
  }
  const value = littleEndian(bytes);
  const out: DecodedRegister = { ...base, raw: `0x${value.toString(16).padStart(def.sizeBytes * 2, "0")}`, text: "" };
  if (def.fields.length > 0) {
    out.fields = Object.fromEntries(def.fields.map((f) => [f.name, Number((value & f.mask) >> BigInt(f.lsb))]));
  }
  const f = out.fields;
  if (def.access === "WO") out.text = "write-only (reads 0)";
  else if (def.enumValues.length > 0) {
    const e = def.enumValues.find((ev) => ev.value === value);
    if (e) out.enumName = e.name;
    out.text = e ? `${e.name.toLowerCase()} (${value})` : `unknown (${value})`;
  } else if (def.source === "memory_size") out.text = `${value} bytes (${formatGib(value)})`;
  else if (f !== undefined && "MAJOR" in f && "MINOR" in f && "PATCH" in f) out.text = `${f.MAJOR}.${f.MINOR}.${f.PATCH}`;
  else if (f !== undefined) {
    const set = def.fields.filter((fd) => fd.widthBits === 1 && (value & fd.mask) !== 0n).map((fd) => fd.name);
    out.text = `${out.raw}${set.length > 0 ? ` [${set.join(" ")}]` : ""}`;
  } else if (value < 0x10000n) out.text = `${value}`;
  else {
    // Large constants (magic numbers, revisions, "none" markers) read better in hex, and a
    // magic made of printable ASCII is shown as its text ("MOCK").
    const ascii = Array.from(bytes).every((b) => b >= 0x20 && b < 0x7f);
    out.text = `${out.raw}${ascii ? ` ${JSON.stringify(new TextDecoder().decode(bytes))}` : ""}`;
  }
  return out;
}

/** Decode every register of a BAR0 image (at least as long as the last register's end). */
export function decodeBar0(image: Uint8Array): DecodedRegister[] {
  return REGISTERS.map((def) => decodeRegister(def, image.subarray(def.offsetBytes, def.offsetBytes + def.sizeBytes)));
}
