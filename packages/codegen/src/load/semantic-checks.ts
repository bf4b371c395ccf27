// Rules the schema cannot express: layout, names, cross-references and formats. Runs on a
// spec that passed the schema (unknown keys aside) and reports every problem it finds.
import type { RawAttribute, RawRegister, RawSpec } from "./spec-schema.ts";
import type { SpecError } from "./spec-error.ts";
import type { SpecPath } from "./spec-path.ts";
import type { Anchor, YamlSource } from "@mock-accel/yaml-source";
import { GO_DEVICE_MEMBERS, goName, identifierProblem, lowerCamel, pascalCase } from "./identifiers.ts";
import { attributeValueType, integerRange } from "../model/value-types.ts";
import type { AttributeValueType } from "../model/register-model.ts";

/**
 * Alignment rule: a register's offset is a multiple of min(size_bytes, 4), and size_bytes is
 * 1, 2 or a multiple of 4. The driver reaches registers of 4 bytes and more only through
 * aligned 32-bit ioread32/iowrite32, so each such register must start on a 32-bit boundary
 * and cover whole 32-bit words; 1- and 2-byte registers are naturally aligned.
 */
export const ALIGNMENT_RULE = "offset must be a multiple of min(size_bytes, 4)";

const hex = (v: number | bigint) => `0x${v.toString(16)}`;
const fits = (value: number | bigint, bits: number) => BigInt(value) >= 0n && BigInt(value) < 1n << BigInt(bits);

class Reporter {
  readonly errors: SpecError[] = [];
  constructor(private readonly src: YamlSource) {}
  at(path: SpecPath, message: string, anchor: Anchor = "value"): void {
    this.errors.push(this.src.error(path, message, anchor));
  }
}

/** Reports the second and later uses of a name (compared by `key`). */
function checkUnique<T>(
  r: Reporter,
  items: readonly { item: T; path: SpecPath }[],
  key: (item: T) => string,
  what: string,
): void {
  const first = new Map<string, SpecPath>();
  for (const { item, path } of items) {
    const k = key(item);
    if (first.has(k)) r.at(path, `duplicate ${what} "${k}"`);
    else first.set(k, path);
  }
}

export function checkSemantics(spec: RawSpec, src: YamlSource): SpecError[] {
  const r = new Reporter(src);
  checkNames(spec, r);
  checkDeviceConfig(spec, r);
  checkLayout(spec, r);
  const registers = new Map<string, RawRegister>();
  spec.bars.forEach((bar, b) =>
    bar.registers.forEach((reg, i) => {
      if (!registers.has(reg.name)) registers.set(reg.name, reg);
      checkRegister(spec, reg, ["bars", b, "registers", i], registers, r);
    }),
  );
  // Registers can be named before they are declared (write_range.max), so look them up after.
  spec.bars.forEach((bar, b) =>
    bar.registers.forEach((reg, i) => {
      const max = reg.write_range?.max;
      if (typeof max === "string" && !registers.has(max))
        r.at(["bars", b, "registers", i, "write_range", "max"], `no register named ${max}`);
    }),
  );
  spec.sysfs.attributes.forEach((a, i) => checkAttribute(a, ["sysfs", "attributes", i], registers, r));
  spec.sysfs.attributes.forEach((a, i) => checkDraBits(a, ["sysfs", "attributes", i], registers, r));
  // A client checks a write bounded by a register against the one attribute that shows it.
  checkUnique(r, spec.sysfs.attributes.flatMap((a, i) => (a.shows === undefined ? [] : [{ item: a.shows, path: ["sysfs", "attributes", i, "shows"] as SpecPath }])), (n) => n, "shows of register");
  for (const kind of ["attribute", "capacity"] as const) {
    const items = spec.sysfs.attributes.flatMap((a, i) => {
      if (!a.dra || !(kind in a.dra)) return [];
      const own = [{ item: (a.dra as Record<string, string>)[kind]!, path: ["sysfs", "attributes", i, "dra", kind] as SpecPath }];
      // Each field a `bits: true` mapping publishes is an attribute name of its own.
      const bits = "bits" in a.dra && a.dra.bits === true ? draBitNames(a, registers) : [];
      return [...own, ...bits.map((n) => ({ item: n, path: ["sysfs", "attributes", i, "dra", "bits"] as SpecPath }))];
    });
    checkUnique(r, items, (n) => n, `DRA ${kind} name`);
  }
  return r.errors;
}

/** The boolean DRA attributes `bits: true` adds: one per field of the attribute's register. */
function draBitNames(a: RawAttribute, registers: Map<string, RawRegister>): string[] {
  if (a.source === "driver" || a.source.field !== undefined) return [];
  return (registers.get(a.source.register)?.fields ?? []).map((f) => lowerCamel(f.name));
}

/** Kubernetes' limit on the name part of a DeviceAttribute's qualified name (a C identifier). */
const DRA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,31}$/;

function checkDraBits(a: RawAttribute, p: SpecPath, registers: Map<string, RawRegister>, r: Reporter): void {
  if (!a.dra || !("bits" in a.dra) || a.dra.bits !== true) return;
  const at: SpecPath = [...p, "dra", "bits"];
  if (a.source === "driver" || a.source.field !== undefined) {
    r.at(at, `bits: true publishes the fields of a register; ${a.name} ${a.source === "driver" ? "is a driver attribute" : `shows only field ${a.source.field}`}`);
    return;
  }
  const reg = registers.get(a.source.register);
  if (!reg) return; // reported by checkAttribute
  // Clients test each bit of the attribute's value as a 32-bit number.
  if (reg.size_bytes > 4) r.at(at, `bits: true needs a register of at most 4 bytes (clients mask a 32-bit value); ${reg.name} is ${reg.size_bytes} bytes`);
  const fields = reg.fields ?? [];
  if (fields.length === 0) r.at(at, `bits: true needs register fields; ${reg.name} has none`);
  for (const f of fields) {
    if (f.width_bits !== 1) r.at(at, `bits: true publishes one boolean per single-bit field; ${reg.name}.${f.name} is ${f.width_bits} bits wide`);
    else if (!DRA_NAME.test(lowerCamel(f.name))) r.at(at, `field ${reg.name}.${f.name} gives DRA attribute name "${lowerCamel(f.name)}", longer than 32 characters`);
  }
}

function checkNames(spec: RawSpec, r: Reporter): void {
  const ident = (name: string, path: SpecPath) => {
    const problem = identifierProblem(name);
    if (problem) r.at(path, problem);
  };
  ident(spec.device.name, ["device", "name"]);
  spec.device_config.forEach((c, i) => ident(c.name, ["device_config", i, "name"]));
  spec.sysfs.attributes.forEach((a, i) => ident(a.name, ["sysfs", "attributes", i, "name"]));

  checkUnique(r, spec.bars.map((b, i) => ({ item: b.name, path: ["bars", i, "name"] })), (n) => n, "BAR name");
  checkUnique(r, spec.device_config.map((c, i) => ({ item: c.name, path: ["device_config", i, "name"] })), (n) => n, "device_config name");
  checkUnique(r, spec.sysfs.attributes.map((a, i) => ({ item: a.name, path: ["sysfs", "attributes", i, "name"] })), (n) => n, "attribute name");
  const regs = spec.bars.flatMap((bar, b) => bar.registers.map((reg, i) => ({ item: reg.name, path: ["bars", b, "registers", i, "name"] as SpecPath })));
  checkUnique(r, regs, (n) => n, "register name");

  // Every C macro the header will define (docs/architecture.md "Generated C: names"); two spec
  // names that differ only in case, or a register named like a fixed macro, land on one macro.
  const prefix = spec.device.name.toUpperCase();
  const macros = new Map<string, string>();
  for (const fixed of ["PCI_VENDOR_ID", "PCI_PF_DEVICE_ID", "PCI_VF_DEVICE_ID", "PCI_CLASS_CODE", "PCI_REVISION_ID",
    "PCI_SUBSYSTEM_VENDOR_ID", "PCI_SUBSYSTEM_ID", "SRIOV_MAX_TOTAL_VFS", "SRIOV_CAPABILITY_OFFSET", "SRIOV_FIRST_VF_OFFSET",
    "SRIOV_VF_STRIDE", "MODULE_NAME", "SYSFS_CLASS", "PF_NAME_FMT", "VF_NAME_FMT", "FIRMWARE_FILE", "FIRMWARE_WORDS"])
    macros.set(`${prefix}_${fixed}`, "a fixed PCI macro");
  const clashed = new Set<string>();
  const claim = (macro: string, owner: string, path: SpecPath) => {
    const prev = macros.get(macro);
    if (prev === undefined || prev === owner) macros.set(macro, owner);
    // One report per name, not one per macro it would define.
    else if (!clashed.has(owner)) {
      clashed.add(owner);
      r.at(path, `${owner} clashes with ${prev}: both define C macro ${macro}`);
    }
  };
  spec.bars.forEach((bar, b) => claim(`${prefix}_${bar.name.toUpperCase()}_SIZE`, `BAR ${bar.name}`, ["bars", b, "name"]));
  spec.bars.forEach((bar, b) =>
    bar.registers.forEach((reg, i) => {
      const p: SpecPath = ["bars", b, "registers", i];
      ident(reg.name, [...p, "name"]);
      const R = `${prefix}_${reg.name.toUpperCase()}`;
      for (const suffix of ["OFFSET", "SIZE", "RESET", "WRITE_MIN", "WRITE_MAX"]) claim(`${R}_${suffix}`, `register ${reg.name}`, [...p, "name"]);
      (reg.fields ?? []).forEach((f, j) => {
        ident(f.name, [...p, "fields", j, "name"]);
        for (const suffix of ["bm", "bp", "bw"])
          claim(`${R}__${f.name.toUpperCase()}_${suffix}`, `field ${reg.name}.${f.name}`, [...p, "fields", j, "name"]);
      });
      (reg.enum ?? []).forEach((e, j) => {
        ident(e.name, [...p, "enum", j, "name"]);
        claim(`${R}__${e.name.toUpperCase()}`, `enum value ${reg.name}.${e.name}`, [...p, "enum", j, "name"]);
      });
      checkUnique(r, (reg.fields ?? []).map((f, j) => ({ item: f.name, path: [...p, "fields", j, "name"] })), (n) => n, `field name in ${reg.name}`);
      // Names differing only in case (IDLE, idle) are caught as a C macro clash above; they
      // would also be one value in the client, which shows enum names lower-cased.
      checkUnique(r, (reg.enum ?? []).map((e, j) => ({ item: e.name, path: [...p, "enum", j, "name"] })), (n) => n, `enum value name in ${reg.name}`);
      checkUnique(r, (reg.enum ?? []).map((e, j) => ({ item: e.value, path: [...p, "enum", j, "value"] })), (v) => hex(v), `enum value in ${reg.name}`);
    }),
  );

  // The Go client names an accessor Device.<GoName>() and a setter Device.Set<GoName>() after
  // each attribute, next to the hand-written members of Device.
  const goOwners = new Map<string, string>();
  spec.sysfs.attributes.forEach((a, i) => {
    const n = goName(a.name);
    const taken = [n, `Set${n}`].find((m) => GO_DEVICE_MEMBERS.has(m));
    const prev = goOwners.get(n);
    if (taken) r.at(["sysfs", "attributes", i, "name"], `attribute ${a.name} would define Go method Device.${taken}, which the hand-written Device (clients/go/mockaccel) already has`);
    // Two attributes of one name are reported as a duplicate above.
    else if (prev !== undefined && prev !== a.name) r.at(["sysfs", "attributes", i, "name"], `attributes ${prev} and ${a.name} both become Go name ${n}`);
    else goOwners.set(n, a.name);
  });

  // Enum attributes get a string-literal union type named after them in the client.
  const fixedTypes = new Set(["SemVer", "AttributeTypes", "AttributeName", "ReadableAttributeName", "WritableAttributeName", "AttributeSpec", "Type", "TSchema"]);
  const typeOwners = new Map<string, string>();
  spec.sysfs.attributes.forEach((a, i) => {
    if (a.format !== "enum") return;
    const t = pascalCase(a.name);
    const prev = typeOwners.get(t);
    // Its value list becomes <NAME>_NAMES, which for "attribute" is the fixed ATTRIBUTE_NAMES.
    if (fixedTypes.has(t) || prev !== undefined || a.name.toUpperCase() === "ATTRIBUTE")
      r.at(["sysfs", "attributes", i, "name"], `attribute ${a.name} would define TypeScript type ${t}, which ${prev ? `attribute ${prev} defines too` : "the client already uses"}`);
    else typeOwners.set(t, a.name);
  });
}

function checkDeviceConfig(spec: RawSpec, r: Reporter): void {
  spec.device_config.forEach((c, i) => {
    const p: SpecPath = ["device_config", i];
    const bits = c.type === "u32" ? 32 : 64;
    for (const key of ["default_pf", "default_vf", "max"] as const) {
      const v = c[key];
      if (v === undefined) continue;
      if (c.type === "uuid") r.at([...p, key], `${key} is not allowed on a uuid entry`);
      else if (!fits(v, bits)) r.at([...p, key], `${key} ${hex(v)} does not fit in ${c.type}`);
      else if (key !== "max" && c.max !== undefined && v > c.max) r.at([...p, key], `${key} ${v} is above max ${c.max}`);
    }
    if (c.required === true && (c.required_pf !== undefined || c.required_vf !== undefined))
      r.at([...p, "required"], "give either required or required_pf/required_vf, not both");
  });
}

function checkLayout(spec: RawSpec, r: Reporter): void {
  if (spec.bars.length > 1) r.at(["bars", 1], "the generators support one BAR (BAR0); add the others when a device needs them");
  spec.bars.forEach((bar, b) => {
    if (bar.name !== `BAR${bar.index}`) r.at(["bars", b, "name"], `a BAR with index ${bar.index} must be named BAR${bar.index}`);
    const placed = bar.registers
      .map((reg, i) => ({ reg, i, end: reg.offset + reg.size_bytes - 1 }))
      .sort((x, y) => x.reg.offset - y.reg.offset || x.i - y.i);
    let widest: (typeof placed)[number] | undefined;
    for (const cur of placed) {
      const p: SpecPath = ["bars", b, "registers", cur.i];
      const { reg } = cur;
      if (widest && reg.offset <= widest.end)
        r.at([...p, "offset"], `offset ${hex(reg.offset)} overlaps ${widest.reg.name} (${hex(widest.reg.offset)}..${hex(widest.end)})`);
      if (!widest || cur.end > widest.end) widest = cur;
      if (reg.offset + reg.size_bytes > bar.size_bytes)
        r.at([...p, "offset"], `${reg.name} (${hex(reg.offset)}..${hex(cur.end)}) ends outside ${bar.name} (size ${hex(bar.size_bytes)})`);
      if (reg.size_bytes > 2 && reg.size_bytes % 4 !== 0)
        r.at([...p, "size_bytes"], `size_bytes ${reg.size_bytes} must be 1, 2 or a multiple of 4 (the driver uses 32-bit accesses)`);
      const align = Math.min(reg.size_bytes, 4);
      if (reg.offset % align !== 0)
        r.at([...p, "offset"], `offset ${hex(reg.offset)} is not a multiple of ${align} (${ALIGNMENT_RULE})`);
    }
  });
}

function checkRegister(spec: RawSpec, reg: RawRegister, p: SpecPath, _registers: Map<string, RawRegister>, r: Reporter): void {
  const bits = reg.size_bytes * 8;
  if (reg.reset !== undefined && reg.source !== undefined)
    r.at([...p, "source"], "a register has either reset or source, not both");
  // A command register stores nothing (writes run the command, reads return 0), so it is the
  // one kind of register that has neither.
  if (reg.behaviour === "command") {
    if (reg.reset !== undefined || reg.source !== undefined)
      r.at([...p, reg.reset !== undefined ? "reset" : "source"], `${reg.name} has behaviour: command and stores nothing; drop reset/source`);
  } else if (reg.reset === undefined && reg.source === undefined)
    r.at([...p, "name"], `register ${reg.name} needs either reset (a constant) or source (a device_config entry)`);
  if (reg.reset !== undefined && !fits(reg.reset, bits))
    r.at([...p, "reset"], `reset ${hex(reg.reset)} does not fit in ${reg.size_bytes} byte(s)`);
  if (reg.source !== undefined) {
    const cfg = spec.device_config.find((c) => c.name === reg.source);
    if (!cfg) r.at([...p, "source"], `no device_config entry named ${reg.source}`);
    else {
      const want = cfg.type === "uuid" ? 16 : cfg.type === "u64" ? 8 : 4;
      if (reg.size_bytes !== want)
        r.at([...p, "source"], `device_config ${cfg.name} is ${cfg.type} (${want} bytes) but ${reg.name} is ${reg.size_bytes} byte(s)`);
    }
  }
  // Fields: inside the register, not overlapping each other.
  const fields = (reg.fields ?? []).map((f, j) => ({ f, j, msb: f.lsb + f.width_bits - 1 }));
  for (const cur of fields) {
    if (cur.msb >= bits)
      r.at([...p, "fields", cur.j], `field ${cur.f.name} (bits ${cur.msb}..${cur.f.lsb}) is outside the ${bits}-bit register`);
    const other = fields.find((o) => o.j < cur.j && o.f.lsb <= cur.msb && cur.f.lsb <= o.msb);
    if (other)
      r.at([...p, "fields", cur.j], `field ${cur.f.name} (bits ${cur.msb}..${cur.f.lsb}) overlaps ${other.f.name} (bits ${other.msb}..${other.f.lsb})`);
  }
  (reg.enum ?? []).forEach((e, j) => {
    if (!fits(e.value, Math.min(bits, 64))) r.at([...p, "enum", j, "value"], `enum value ${hex(e.value)} does not fit in ${reg.size_bytes} byte(s)`);
  });
  if (reg.behaviour === "command" && reg.access !== "WO")
    r.at([...p, "behaviour"], `behaviour: command needs access WO (a command value is not stored); ${reg.name} is ${reg.access}`);
  if (reg.behaviour === "notify" && reg.access !== "RW")
    r.at([...p, "behaviour"], `behaviour: notify needs access RW (it reports stored writes); ${reg.name} is ${reg.access}`);
  if (reg.write_range) {
    const wr = reg.write_range;
    if (reg.access === "RO") r.at([...p, "write_range"], `write_range on ${reg.name}, which is RO`);
    if (!fits(wr.min, bits)) r.at([...p, "write_range", "min"], `min ${wr.min} does not fit in ${reg.size_bytes} byte(s)`);
    if (typeof wr.max === "number") {
      if (!fits(wr.max, bits)) r.at([...p, "write_range", "max"], `max ${wr.max} does not fit in ${reg.size_bytes} byte(s)`);
      if (wr.min > wr.max) r.at([...p, "write_range", "min"], `min ${wr.min} is above max ${wr.max}`);
    }
  }
}

/** Largest register a `string` attribute may show; emit-c-sysfs.ts copies it onto the stack. */
export const STRING_MAX_BYTES = 1024;

const FORMAT_TYPES: Record<string, readonly AttributeValueType[]> = {
  decimal: ["u32", "s32", "u64"],
  hex32: ["u32"],
  bool: ["bool"],
};

function checkAttribute(a: RawAttribute, p: SpecPath, registers: Map<string, RawRegister>, r: Reporter): void {
  const mode = Number.parseInt(a.mode, 8);
  const readable = (mode & 0o444) !== 0;
  const writable = (mode & 0o222) !== 0;
  if ((mode & 0o111) !== 0) r.at([...p, "mode"], `mode ${a.mode} has execute bits; sysfs attributes are read and/or write only`);
  if ((mode & 0o002) !== 0) r.at([...p, "mode"], `mode ${a.mode} is world-writable, which the kernel refuses (VERIFY_OCTAL_PERMISSIONS)`);
  if (!readable && !writable) r.at([...p, "mode"], `mode ${a.mode} is neither readable nor writable`);

  let valueType: AttributeValueType | null = null;
  /** Bits a register-backed attribute writes: its field's, or the whole register's. */
  let targetBits: number | null = null;
  if (a.shows !== undefined) {
    if (a.source !== "driver") r.at([...p, "shows"], "shows is only for driver attributes; a register attribute shows its own register");
    else if (!registers.has(a.shows)) r.at([...p, "shows"], `no register named ${a.shows}`);
    else if (!readable) r.at([...p, "shows"], `shows needs a readable attribute; mode ${a.mode} is not`);
  }
  if (a.source === "driver") {
    if (a.type === undefined) r.at([...p, "source"], `driver attribute ${a.name} needs a type (u32, s32, u64 or bool)`);
    else {
      valueType = a.type;
      const allowed = FORMAT_TYPES[a.format];
      if (!allowed) r.at([...p, "format"], `format ${a.format} needs a register source; driver attributes support decimal, hex32 and bool`);
      else if (!allowed.includes(a.type)) r.at([...p, "format"], `format ${a.format} does not fit type ${a.type} (use one of: ${allowed.join(", ")})`);
    }
  } else {
    if (a.type !== undefined) r.at([...p, "type"], "type is only for driver attributes; a register attribute takes the register's width");
    const reg = registers.get(a.source.register);
    if (!reg) {
      r.at([...p, "source", "register"], `no register named ${a.source.register}`);
      return;
    }
    const fieldName = a.source.field;
    const field = fieldName === undefined ? undefined : (reg.fields ?? []).find((f) => f.name === fieldName);
    if (fieldName !== undefined && !field) {
      r.at([...p, "source", "field"], `register ${reg.name} has no field named ${fieldName}`);
      return;
    }
    if (writable && reg.access === "RO") r.at([...p, "mode"], `mode ${a.mode} is writable but register ${reg.name} is RO`);
    if (readable && reg.access === "WO") r.at([...p, "mode"], `mode ${a.mode} is readable but register ${reg.name} is WO (reads return 0)`);
    const formatProblem = registerFormatProblem(a.format, reg, field);
    if (formatProblem) r.at([...p, "format"], formatProblem);
    // The driver writes whole 32-bit words; writing the word that holds a 1- or 2-byte
    // register would also write its neighbours (and run their commands).
    if (writable && reg.size_bytes !== 4 && reg.size_bytes !== 8)
      r.at([...p, "mode"], `mode ${a.mode} is writable, but the driver writes only 4- and 8-byte registers (whole 32-bit words); ${reg.name} is ${reg.size_bytes} byte(s)`);
    // A field write is one 32-bit read-modify-write of the register's first word.
    else if (writable && field && reg.size_bytes !== 4)
      r.at([...p, "mode"], `mode ${a.mode} writes field ${reg.name}.${field.name}, but the driver writes fields of 4-byte registers only (one 32-bit read-modify-write); ${reg.name} is ${reg.size_bytes} bytes`);
    else valueType = attributeValueType(a.format, { registerSizeBytes: reg.size_bytes, fieldWidthBits: field?.width_bits });
    targetBits = field ? field.width_bits : reg.size_bytes * 8;
  }

  if (a.write !== undefined && !writable) r.at([...p, "write"], `write is given but mode ${a.mode} is not writable`);
  if (a.write === undefined && writable)
    r.at([...p, "mode"], `mode ${a.mode} is writable, so the attribute needs write: { min, max } or { parse: u32 } to validate input`);
  if (a.write !== undefined && valueType !== null) {
    const range = integerRange(valueType);
    if ("parse" in a.write) {
      if (valueType !== "u32") r.at([...p, "write", "parse"], `parse: u32 needs a u32 attribute; ${a.name} is ${valueType}`);
      else if (targetBits !== null && targetBits !== 32)
        r.at([...p, "write", "parse"], `parse: u32 accepts any 32-bit value, but ${a.name} writes ${targetBits} bits; give { min, max }`);
    } else if (range === null) {
      r.at([...p, "write"], `a write range needs an integer attribute; ${a.name} is ${valueType}`);
    } else {
      const { min, max } = a.write;
      // A register attribute can only take what its field or register holds.
      if (targetBits !== null && targetBits < 64 && range.max > (1n << BigInt(targetBits)) - 1n) range.max = (1n << BigInt(targetBits)) - 1n;
      if (BigInt(min) < range.min || BigInt(min) > range.max) r.at([...p, "write", "min"], `min ${min} does not fit ${valueType}${targetBits !== null ? ` (${targetBits} bits)` : ""}`);
      if (typeof max === "number") {
        if (BigInt(max) < range.min || BigInt(max) > range.max) r.at([...p, "write", "max"], `max ${max} does not fit ${valueType}${targetBits !== null ? ` (${targetBits} bits)` : ""}`);
        if (min > max) r.at([...p, "write", "min"], `min ${min} is above max ${max}`);
      } else if (!registers.has(max)) r.at([...p, "write", "max"], `no register named ${max}`);
      else if (a.source !== "driver" && registers.get(max)!.size_bytes > 4)
        r.at([...p, "write", "max"], `the driver reads the bound in one 32-bit access; ${max} is ${registers.get(max)!.size_bytes} bytes`);
    }
  }
}

function registerFormatProblem(
  format: RawAttribute["format"],
  reg: RawRegister,
  field: NonNullable<RawRegister["fields"]>[number] | undefined,
): string | null {
  const what = field ? `field ${reg.name}.${field.name} (${field.width_bits} bits)` : `register ${reg.name} (${reg.size_bytes} bytes)`;
  const bits = field ? field.width_bits : reg.size_bytes * 8;
  switch (format) {
    case "uuid":
      return !field && reg.size_bytes === 16 ? null : `format uuid needs a 16-byte register; ${what}`;
    case "hex32":
      return bits <= 32 ? null : `format hex32 needs at most 4 bytes; ${what}`;
    case "decimal":
      return bits <= 64 ? null : `format decimal needs at most 8 bytes; ${what}`;
    case "bool":
      return bits <= 32 ? null : `format bool needs at most 4 bytes; ${what}`;
    case "semver": {
      if (field || reg.size_bytes > 4) return `format semver needs a register of at most 4 bytes with MAJOR, MINOR and PATCH fields; ${what}`;
      const missing = ["MAJOR", "MINOR", "PATCH"].filter((n) => !(reg.fields ?? []).some((f) => f.name === n));
      return missing.length === 0 ? null : `format semver needs fields MAJOR, MINOR and PATCH; ${reg.name} lacks ${missing.join(", ")}`;
    }
    case "enum":
      if (field) return `format enum needs a whole register with enum values; ${what} is a field`;
      if (reg.size_bytes > 4) return `format enum needs at most 4 bytes; ${what}`;
      return (reg.enum ?? []).length > 0 ? null : `format enum needs enum values; register ${reg.name} has none`;
    case "string":
      if (field) return `format string needs a whole register; ${what} is a field`;
      // The driver copies the words onto the kernel stack (W=1 warns above a 2 KiB frame).
      if (reg.size_bytes % 4 !== 0 || reg.size_bytes > STRING_MAX_BYTES)
        return `format string needs a register of whole 32-bit words, at most ${STRING_MAX_BYTES} bytes (the driver reads it word by word onto the kernel stack); ${what}`;
      return null;
  }
}
