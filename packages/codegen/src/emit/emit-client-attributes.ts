// packages/sysfs-client/src/generated/attributes.ts: per attribute its name, mode, TypeBox
// schema, and parse/format for exactly the text the kernel shows (docs/architecture.md).
import { StructureKind, type StatementStructures } from "ts-morph";
import type { Emitter } from "./emitter.ts";
import type { DeviceModel, SysfsAttributeModel } from "../model/register-model.ts";
import { U32_MAX, U64_MAX, fieldOf, rawMax, resetRaw, semverMax, shownFieldRegisters, sourceRegister, staticWriteRange, writeMaxAttribute } from "./client-facts.ts";
import { pascalCase } from "../load/identifiers.ts";
import { helperNodes } from "./ts-client-runtime.ts";
import {
  arr,
  banner,
  big,
  bool,
  exportConst,
  exportInterface,
  exportType,
  exportUnion,
  hexNum,
  nul,
  num,
  obj,
  printStatements,
  raw,
  str,
  type Lit,
} from "./ts-nodes.ts";

export const CLIENT_ATTRIBUTES_PATH = "packages/sysfs-client/src/generated/attributes.ts";

const UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

/** How one attribute's value looks in TypeScript and how it goes to and from text. */
interface AttributeCodec {
  tsType: string;
  parse: string;
  format: string;
  helpers: string[];
  /** Schema for any value of the type (readable attributes, and writable ones without a range). */
  valueSchema: string;
}

/** The enum's value names as a list (named _NAMES: the server's <REG>_VALUES are the numbers). */
const choicesConst = (a: SysfsAttributeModel) => `${a.name.toUpperCase()}_NAMES`;

function codec(model: DeviceModel, a: SysfsAttributeModel): AttributeCodec {
  const max = rawMax(model, a);
  switch (a.valueType) {
    case "u32": {
      const hex = a.format === "hex32";
      const parseFn = hex ? "parseHex32" : "parseU32";
      const bounded = max < U32_MAX;
      return {
        tsType: "number",
        parse: bounded ? `(text) => ${parseFn}(text, ${max})` : parseFn,
        format: hex ? "formatHex32" : "formatDecimal",
        helpers: [parseFn, hex ? "formatHex32" : "formatDecimal"],
        valueSchema: `Type.Integer({ minimum: 0, maximum: ${max} })`,
      };
    }
    case "s32":
      return {
        tsType: "number",
        parse: "parseS32",
        format: "formatDecimal",
        helpers: ["parseS32", "formatDecimal"],
        valueSchema: "Type.Integer({ minimum: -2147483648, maximum: 2147483647 })",
      };
    case "u64":
      return {
        tsType: "bigint",
        parse: max < U64_MAX ? `(text) => parseU64(text, ${max}n)` : "parseU64",
        format: "formatDecimal",
        helpers: ["parseU64", "formatDecimal"],
        valueSchema: `Type.BigInt({ minimum: 0n, maximum: ${max}n })`,
      };
    case "bool":
      return { tsType: "boolean", parse: "parseBool", format: "formatBool", helpers: ["parseBool", "formatBool"], valueSchema: "Type.Boolean()" };
    case "uuid":
      return {
        tsType: "string",
        parse: "parseUuid",
        format: "formatUuid",
        helpers: ["parseUuid", "formatUuid"],
        valueSchema: `Type.String({ pattern: ${JSON.stringify(UUID_PATTERN)} })`,
      };
    case "semver": {
      const { major, minor, patch } = semverMax(model, a);
      return {
        tsType: "SemVer",
        parse: `(text) => parseSemver(text, { major: ${major}, minor: ${minor}, patch: ${patch} })`,
        format: "formatSemver",
        helpers: ["parseSemver", "formatSemver"],
        valueSchema:
          `Type.Object({ major: Type.Integer({ minimum: 0, maximum: ${major} }), ` +
          `minor: Type.Integer({ minimum: 0, maximum: ${minor} }), patch: Type.Integer({ minimum: 0, maximum: ${patch} }) })`,
      };
    }
    case "enum": {
      const reg = sourceRegister(model, a)!;
      return {
        tsType: pascalCase(a.name),
        parse: `(text) => parseChoice(text, ${choicesConst(a)})`,
        format: "formatChoice",
        helpers: ["parseChoice", "formatChoice"],
        valueSchema: `Type.Union([${reg.enumValues.map((e) => `Type.Literal(${JSON.stringify(e.name.toLowerCase())})`).join(", ")}])`,
      };
    }
    case "string": {
      const reg = sourceRegister(model, a)!;
      return {
        tsType: "string",
        parse: `(text) => parseLine(text, ${reg.sizeBytes})`,
        format: "formatLine",
        helpers: ["parseLine", "formatLine"],
        valueSchema: `Type.String({ maxLength: ${reg.sizeBytes} })`,
      };
    }
  }
}

/** What a write accepts: the spec's `write` rule as a schema on the attribute's value type. */
function writeSchema(model: DeviceModel, a: SysfsAttributeModel, c: AttributeCodec): string {
  const w = a.write;
  if (!a.writable || w === null) return c.valueSchema;
  if (w.kind === "parse-u32") return `Type.Integer({ minimum: 0, maximum: ${U32_MAX} })`;
  if (a.valueType === "bool") return "Type.Boolean()";
  const max = staticWriteRange(model, a)!.max;
  if (a.valueType === "u64") return `Type.BigInt({ minimum: ${w.min}n, maximum: ${max}n })`;
  if (w.min === max) return `Type.Literal(${w.min})`;
  return `Type.Integer({ minimum: ${w.min}, maximum: ${max} })`;
}

/**
 * The attribute's value after a device reset: the register's constant `reset`, cut to the
 * attribute's field and shown as its value type. null for driver attributes and for registers
 * whose value comes from device_config (`source`) or that have no reset value.
 */
function resetLit(model: DeviceModel, a: SysfsAttributeModel): Lit {
  const v = resetRaw(model, a);
  if (v === null) return nul;
  const reg = sourceRegister(model, a)!;
  switch (a.valueType) {
    case "u32":
    case "s32":
      return num(Number(v));
    case "u64":
      return big(v);
    case "bool":
      return bool(v !== 0n);
    case "semver":
      return obj({ major: num(fieldOf(model, a, v, "MAJOR")), minor: num(fieldOf(model, a, v, "MINOR")), patch: num(fieldOf(model, a, v, "PATCH")) }, true);
    case "enum": {
      const e = reg.enumValues.find((x) => x.value === v);
      // A reset outside the enum shows as no name the parser accepts: say "no reset" instead.
      return e ? str(e.name.toLowerCase()) : nul;
    }
    case "string":
      // The driver shows a string register up to its first NUL, so an all-zero reset reads as "".
      return v === 0n ? str("") : nul;
    case "uuid":
      return nul;
  }
}

function attributeLit(model: DeviceModel, a: SysfsAttributeModel, c: AttributeCodec): Lit {
  return obj({
    name: str(a.name),
    mode: raw(`0o${a.mode.toString(8).padStart(3, "0")}`),
    readable: bool(a.readable),
    writable: bool(a.writable),
    functions: str(a.functions),
    textFormat: str(a.format),
    schema: raw(writeSchema(model, a, c)),
    dra: a.dra === null ? nul : obj({ kind: str(a.dra.kind), name: str(a.dra.name), alsoAttribute: a.dra.kind === "capacity" && a.dra.alsoAttribute !== null ? str(a.dra.alsoAttribute) : nul }, true),
    description: str(a.description),
    reset: resetLit(model, a),
    writeMaxAttribute: ((m) => (m === null ? nul : str(m)))(writeMaxAttribute(model, a)),
    parse: raw(c.parse),
    format: raw(c.format),
  });
}

export function clientAttributesNodes(model: DeviceModel): (string | StatementStructures)[] {
  const attrs = model.attributes;
  const codecs = new Map(attrs.map((a) => [a.name, codec(model, a)] as const));
  const out: (string | StatementStructures)[] = [];
  out.push({
    kind: StructureKind.ImportDeclaration,
    moduleSpecifier: "@sinclair/typebox",
    namedImports: ["Type", { name: "TSchema", isTypeOnly: true }],
  });
  out.push(exportConst("DEVICE_NAME", str(model.name), { doc: "The spec's device.name: the kernel module's name and the C prefix." }));
  out.push(exportConst("SYSFS_CLASS", str(model.sysfsClass)));
  out.push(
    exportConst("DEVICE_NAMES", obj({ pf: str(model.deviceNames.pf), vf: str(model.deviceNames.vf) }, true), {
      asConst: true,
      doc: "Class device (and /dev node) names: `{pf}` is the PF's number, `{vf}` a VF's VF_INDEX.",
    }),
  );
  out.push(
    exportConst("FIRMWARE", obj({ file: str(model.firmware.file), words: num(model.firmware.words) }, true), {
      asConst: true,
      doc: "The firmware wordlist the driver loads, and its word count (what `wordlist_size` shows once loaded).",
    }),
  );
  out.push(
    exportConst(
      "PCI_IDS",
      obj(
        {
          vendorId: hexNum(model.pci.vendorId, 4),
          pfDeviceId: hexNum(model.pci.pfDeviceId, 4),
          vfDeviceId: hexNum(model.pci.vfDeviceId, 4),
          classCode: hexNum(model.pci.classCode, 6),
          revisionId: hexNum(model.pci.revisionId, 2),
          subsystemVendorId: hexNum(model.pci.subsystemVendorId, 4),
          subsystemId: hexNum(model.pci.subsystemId, 4),
        },
        true,
      ),
      { asConst: true },
    ),
  );
  const sriov = model.pci.sriov;
  out.push(
    exportConst(
      "SRIOV",
      obj({ maxTotalVfs: num(sriov.maxTotalVfs), firstVfOffset: num(sriov.firstVfOffset), vfStride: num(sriov.vfStride) }, true),
      { asConst: true, doc: "VF n of a PF is PCI function PF + firstVfOffset + n * vfStride." },
    ),
  );
  const dflt = (v: bigint | null) => (v === null ? nul : big(v));
  out.push(
    exportConst(
      "DEVICE_CONFIG_DEFAULTS",
      obj(model.deviceConfig.map((c) => ({ key: c.name, value: obj({ pf: dflt(c.defaultPf), vf: dflt(c.defaultVf) }, true) }))),
      { asConst: true, doc: "device_config defaults a device server starts a PF or VF with; null where the spec gives none." },
    ),
  );
  out.push(
    exportInterface("SemVer", [
      { name: "major", type: "number" },
      { name: "minor", type: "number" },
      { name: "patch", type: "number" },
    ]),
  );
  for (const a of attrs) {
    if (a.valueType !== "enum") continue;
    const reg = sourceRegister(model, a)!;
    const names = reg.enumValues.map((e) => e.name.toLowerCase());
    out.push(exportUnion(pascalCase(a.name), names.map((n) => JSON.stringify(n)), `Values of ${a.name} (register ${reg.name}).`));
    out.push(exportConst(choicesConst(a), arr(names.map(str), true), { type: `readonly ${pascalCase(a.name)}[]` }));
  }
  out.push(
    exportInterface(
      "AttributeTypes",
      attrs.map((a) => ({ name: a.name, type: codecs.get(a.name)!.tsType })),
      { doc: "What a read returns (and a write takes), per attribute." },
    ),
  );
  out.push(exportType("AttributeName", "keyof AttributeTypes"));
  out.push(exportUnion("ReadableAttributeName", attrs.filter((a) => a.readable).map((a) => JSON.stringify(a.name)), "Attributes whose mode has a read bit."));
  out.push(exportUnion("WritableAttributeName", attrs.filter((a) => a.writable).map((a) => JSON.stringify(a.name)), "Attributes whose mode has a write bit."));
  out.push({
    kind: StructureKind.Interface,
    isExported: true,
    name: "AttributeSpec",
    typeParameters: ["N extends AttributeName"],
    properties: [
      { name: "name", type: "N", isReadonly: true },
      { name: "mode", type: "number", isReadonly: true },
      { name: "readable", type: "boolean", isReadonly: true },
      { name: "writable", type: "boolean", isReadonly: true },
      { name: "functions", type: '"all" | "pf" | "vf"', isReadonly: true },
      {
        name: "textFormat",
        type: '"decimal" | "hex32" | "uuid" | "semver" | "enum" | "string" | "bool"',
        isReadonly: true,
        docs: ["The spec's text format (named textFormat: `format` is the function below)."],
      },
      { name: "schema", type: "TSchema", isReadonly: true, docs: ["Validates a value before it is written."] },
      {
        name: "dra",
        type: '{ readonly kind: "attribute" | "capacity"; readonly name: string; /** A capacity also published as an int attribute of this name. */ readonly alsoAttribute: string | null } | null',
        isReadonly: true,
      },
      { name: "description", type: "string", isReadonly: true },
      {
        name: "reset",
        type: "AttributeTypes[N] | null",
        isReadonly: true,
        docs: ["Value after a device reset (the register's constant reset); null for driver attributes and device_config-sourced registers."],
      },
      {
        name: "writeMaxAttribute",
        type: "ReadableAttributeName | null",
        isReadonly: true,
        docs: ["Attribute whose current value bounds writes (the spec's write max names its register); null when the bound is constant."],
      },
    ],
    methods: [
      {
        name: "parse",
        parameters: [{ name: "text", type: "string" }],
        returnType: "AttributeTypes[N] | undefined",
        docs: ["Kernel text (trailing newline allowed) -> value; undefined when it does not parse."],
      },
      {
        name: "format",
        parameters: [{ name: "value", type: "AttributeTypes[N]" }],
        returnType: "string",
        docs: ["Value -> exactly the text the kernel shows, newline included."],
      },
    ],
  });
  out.push(...helperNodes(attrs.flatMap((a) => codecs.get(a.name)!.helpers)));
  out.push(
    exportConst(
      "ATTRIBUTES",
      obj(attrs.map((a) => ({ key: a.name, value: attributeLit(model, a, codecs.get(a.name)!) }))),
      { type: "{ readonly [N in AttributeName]: AttributeSpec<N> }" },
    ),
  );
  out.push(exportConst("ATTRIBUTE_NAMES", arr(attrs.map((a) => str(a.name))), { type: "readonly AttributeName[]", doc: "Spec order." }));
  const bits = attrs.flatMap((a) =>
    a.dra?.kind === "attribute" ? a.dra.bits.map((b) => obj({ attribute: str(a.name), name: str(b.name), field: str(b.field), mask: hexNum(Number(b.mask)) }, true)) : [],
  );
  out.push(
    exportConst("DRA_BIT_ATTRIBUTES", arr(bits), {
      type: "readonly { readonly attribute: ReadableAttributeName; readonly name: string; readonly field: string; readonly mask: number }[]",
      doc: "Boolean DRA attributes, one per field of a register whose mapping says `bits: true` (CEL has no bitwise operators).",
    }),
  );
  // Bit fields of the registers attributes show (32-bit values, so plain numbers): a driver
  // tests `status & STATUS_FIELDS.ALLOCATED.mask` instead of hard-coding the bit.
  for (const { reg: r, attribute } of shownFieldRegisters(model)) {
    out.push(
      exportConst(
        `${r.name}_FIELDS`,
        obj(r.fields.map((f) => ({ key: f.name, value: obj({ lsb: num(f.lsb), widthBits: num(f.widthBits), mask: hexNum(Number(f.mask)) }, true) }))),
        { asConst: true, doc: `Fields of the ${r.name} register behind the \`${attribute}\` attribute.` },
      ),
    );
  }
  return out;
}

export const emitClientAttributes: Emitter = (model, ctx) => [
  {
    path: CLIENT_ATTRIBUTES_PATH,
    content: printStatements([banner(ctx.specPath, "emit-client-attributes.ts"), ...clientAttributesNodes(model)]),
  },
];
