// clients/go/mockaccel/zz_generated_spec.go: the Go client's spec facts. The same model and the
// same derived facts (client-facts.ts) as the TypeScript client (emit-client-attributes.ts):
// PCI IDs, device_config defaults, field masks, the attribute table, one typed accessor per
// readable attribute, one range-checked setter per writable one, enum types, and the DRA values
// the spec's `dra:` entries pick. Plain template strings, printed gofmt-exact: no aligned
// blocks (one declaration per line, one table entry per line), so gofmt has nothing to move.
import type { DeviceModel, SysfsAttributeModel } from "../model/register-model.ts";
import type { Emitter } from "./emitter.ts";
import { goName, pascalCase } from "../load/identifiers.ts";

export { GO_DEVICE_MEMBERS, goName } from "../load/identifiers.ts";
import { U32_MAX, U64_MAX, fieldOf, rawMax, resetRaw, semverMax, shownFieldRegisters, sourceRegister, staticWriteRange, writeMaxAttribute } from "./client-facts.ts";

export const GO_CLIENT_PATH = "clients/go/mockaccel/zz_generated_spec.go";

/** A Go interpreted string literal (JSON's escapes are a subset of Go's). */
const goString = (s: string) => JSON.stringify(s);
const goHex = (v: bigint | number) => `0x${v.toString(16)}`;
/** A description inside a // comment: one line (a YAML block scalar may hold several). */
const oneLine = (s: string) => s.replace(/\s+/g, " ").trim();

interface GoCodec {
  goType: string;
  zero: string;
  /** Expression of `text` giving (value, ok). */
  parse: string;
  /** Expression of `v` giving the kernel's text. */
  format: string;
}

function codec(model: DeviceModel, a: SysfsAttributeModel): GoCodec {
  const max = rawMax(model, a);
  switch (a.valueType) {
    case "u32":
      return a.format === "hex32"
        ? { goType: "uint32", zero: "0", parse: `parseHex32(text, ${goHex(max)})`, format: "formatHex32(v)" }
        : { goType: "uint32", zero: "0", parse: `parseU32(text, ${max})`, format: "formatUnsigned(v)" };
    case "s32":
      return { goType: "int32", zero: "0", parse: "parseS32(text)", format: "formatSigned(v)" };
    case "u64":
      return { goType: "uint64", zero: "0", parse: `parseUnsigned(text, ${max})`, format: "formatUnsigned(v)" };
    case "bool":
      return { goType: "bool", zero: "false", parse: "parseBool(text)", format: "formatBool(v)" };
    case "uuid":
      return { goType: "string", zero: '""', parse: "parseUUID(text)", format: "formatUUID(v)" };
    case "semver": {
      const m = semverMax(model, a);
      return { goType: "SemVer", zero: "SemVer{}", parse: `parseSemver(text, SemVer{Major: ${m.major}, Minor: ${m.minor}, Patch: ${m.patch}})`, format: "formatSemver(v)" };
    }
    case "enum":
      return { goType: goName(a.name), zero: '""', parse: `parseAttr${goName(a.name)}(text)`, format: "formatLine(string(v))" };
    case "string":
      return { goType: "string", zero: '""', parse: `parseLine(text, ${sourceRegister(model, a)!.sizeBytes})`, format: "formatLine(v)" };
  }
}

/** The kernel's text after a reset, or "" when the attribute has no constant reset. */
function resetText(model: DeviceModel, a: SysfsAttributeModel): string {
  const v = resetRaw(model, a);
  if (v === null) return "";
  switch (a.valueType) {
    case "u32":
    case "s32":
    case "u64":
      return a.format === "hex32" ? `0x${v.toString(16).padStart(8, "0")}\n` : `${v}\n`;
    case "bool":
      return v !== 0n ? "1\n" : "0\n";
    case "semver":
      return `${fieldOf(model, a, v, "MAJOR")}.${fieldOf(model, a, v, "MINOR")}.${fieldOf(model, a, v, "PATCH")}\n`;
    case "enum": {
      const e = sourceRegister(model, a)!.enumValues.find((x) => x.value === v);
      return e ? `${e.name.toLowerCase()}\n` : "";
    }
    case "string":
      return v === 0n ? "\n" : "";
    case "uuid":
      return "";
  }
}

function tableEntry(model: DeviceModel, a: SysfsAttributeModel): string {
  const fields = [
    `Name: Attr${goName(a.name)}`,
    `Mode: 0o${a.mode.toString(8).padStart(3, "0")}`,
    `Readable: ${a.readable}`,
    `Writable: ${a.writable}`,
    `Functions: ${goString(a.functions)}`,
    `Format: ${goString(a.format)}`,
  ];
  if (a.dra !== null) {
    const bits = a.dra.kind === "attribute" && a.dra.bits.length > 0
      ? `, Bits: []DRABit{${a.dra.bits.map((b) => `{Field: ${goString(b.field)}, Name: ${goString(b.name)}, Mask: ${goHex(b.mask)}}`).join(", ")}}`
      : "";
    const also = a.dra.kind === "capacity" && a.dra.alsoAttribute !== null ? `, AlsoAttribute: ${goString(a.dra.alsoAttribute)}` : "";
    fields.push(`DRA: &DRAMapping{Kind: ${goString(a.dra.kind)}, Name: ${goString(a.dra.name)}${also}${bits}}`);
  }
  if (a.valueType === "enum") fields.push(`Choices: []string{${sourceRegister(model, a)!.enumValues.map((e) => goString(e.name.toLowerCase())).join(", ")}}`);
  const reset = resetText(model, a);
  if (reset !== "") fields.push(`Reset: ${goString(reset)}`);
  fields.push(`Description: ${goString(a.description)}`);
  return `\t{${fields.join(", ")}},`;
}

function accessor(a: SysfsAttributeModel, c: GoCodec): string {
  const n = goName(a.name);
  return `// ${n} reads ${a.name}: ${oneLine(a.description)}
func (d *Device) ${n}() (${c.goType}, error) {
\ttext, err := d.readText(Attr${n})
\tif err != nil {
\t\treturn ${c.zero}, err
\t}
\tv, ok := ${c.parse}
\tif !ok {
\t\treturn ${c.zero}, d.parseError(Attr${n}, text)
\t}
\treturn v, nil
}
`;
}

/** Conditions (on `v`) a value must fail to be refused, from the spec's static write range. */
function rangeChecks(model: DeviceModel, a: SysfsAttributeModel): { cond: string; want: string } | null {
  const r = staticWriteRange(model, a);
  if (r === null || a.valueType === "bool") return null;
  const typeMax = a.valueType === "u64" ? U64_MAX : a.valueType === "s32" ? 0x7fff_ffffn : U32_MAX;
  const typeMin = a.valueType === "s32" ? -0x8000_0000n : 0n;
  const conds: string[] = [];
  if (r.min > typeMin) conds.push(`v < ${r.min}`);
  if (r.max < typeMax) conds.push(`v > ${r.max}`);
  if (conds.length === 0) return null;
  return { cond: conds.join(" || "), want: r.min === r.max ? `${r.min}` : `${r.min}..${r.max}` };
}

function setter(model: DeviceModel, a: SysfsAttributeModel, c: GoCodec): string {
  const n = goName(a.name);
  const checks = rangeChecks(model, a);
  const bound = writeMaxAttribute(model, a);
  const rule = a.write?.kind === "parse-u32" ? "Any u32 is accepted." : checks ? `Values outside ${checks.want}${bound ? `, or above ${bound},` : ""} are refused before the file is touched.` : "";
  let body = `\tif err := d.checkWritable(Attr${n}); err != nil {\n\t\treturn err\n\t}\n`;
  if (checks) body += `\tif ${checks.cond} {\n\t\treturn d.rangeError(Attr${n}, v, ${goString(checks.want)})\n\t}\n`;
  if (bound) {
    body += `\tbound, err := d.${goName(bound)}()\n\tif err != nil {\n\t\treturn err\n\t}\n`;
    body += `\tif uint64(v) > uint64(bound) {\n\t\treturn d.rangeError(Attr${n}, v, fmt.Sprintf("at most ${bound} (%d)", bound))\n\t}\n`;
  }
  body += `\treturn d.writeText(Attr${n}, formatAttr${n}(v))\n`;
  return `// Set${n} writes ${a.name}: ${oneLine(a.description)}${rule ? ` ${rule}` : ""}
func (d *Device) Set${n}(v ${c.goType}) error {
${body}}
`;
}

/** The DRA value(s) of one mapped attribute, appended to `out` inside draValues. */
function draBlock(a: SysfsAttributeModel): string {
  const n = goName(a.name);
  const dra = a.dra!;
  const q = goString(dra.name);
  let add: string;
  if (dra.kind === "capacity") {
    add = `\t\tc, err := d.draCapacity(Attr${n}, ${q}, uint64(v))\n\t\tif err != nil {\n\t\t\treturn nil, err\n\t\t}\n\t\tout = append(out, c)\n`;
    if (dra.alsoAttribute !== null) {
      add += `\t\ti, err := d.draUint(Attr${n}, ${goString(dra.alsoAttribute)}, uint64(v))\n\t\tif err != nil {\n\t\t\treturn nil, err\n\t\t}\n\t\tout = append(out, i)\n`;
    }
  }
  else {
    switch (a.valueType) {
      case "u32":
      case "s32":
        add = `\t\tout = append(out, draInt(${q}, int64(v)))\n`;
        break;
      case "u64":
        add = `\t\ti, err := d.draUint(Attr${n}, ${q}, v)\n\t\tif err != nil {\n\t\t\treturn nil, err\n\t\t}\n\t\tout = append(out, i)\n`;
        break;
      case "bool":
        add = `\t\tout = append(out, draBool(${q}, v))\n`;
        break;
      case "semver":
        add = `\t\tout = append(out, draVersion(${q}, v))\n`;
        break;
      case "enum":
        add = `\t\tout = append(out, draString(${q}, string(v)))\n`;
        break;
      default:
        add = `\t\tout = append(out, draString(${q}, v))\n`;
    }
    // CEL has no bitwise operators: each field the spec marks `bits: true` is a bool of its own.
    for (const b of dra.kind === "attribute" ? dra.bits : []) add += `\t\tout = append(out, draBool(${goString(b.name)}, v&${goHex(b.mask)} != 0))\n`;
  }
  return `\tif d.Has(Attr${n}) {\n\t\tv, err := d.${n}()\n\t\tif err != nil {\n\t\t\treturn nil, err\n\t\t}\n${add}\t}\n`;
}

export function goClientSource(model: DeviceModel, specPath: string): string {
  // Names that would clash with the hand-written Device are refused by the loader (semantic-checks.ts).
  const attrs = model.attributes;
  const codecs = new Map(attrs.map((a) => [a.name, codec(model, a)] as const));
  const out: string[] = [];
  out.push(`// Code generated from ${specPath} by packages/codegen (src/emit/emit-go-client.ts). DO NOT EDIT.
// Change the spec and run \`bun run codegen\`.

package mockaccel

import "fmt"

// DeviceName is the spec's device.name: the kernel module's name and the C prefix.
const DeviceName = ${goString(model.name)}

// SysfsClass is the driver's class: devices appear under /sys/class/${model.sysfsClass}.
const SysfsClass = ${goString(model.sysfsClass)}

// PFNameTemplate and VFNameTemplate name class devices (and /dev nodes): {pf} is the PF's
// number, {vf} a VF's VF_INDEX (see PFDeviceName, VFDeviceName, ParseDeviceName).
const (
\tPFNameTemplate = ${goString(model.deviceNames.pf)}
\tVFNameTemplate = ${goString(model.deviceNames.vf)}
)

// FirmwareFile is the firmware wordlist the driver loads with request_firmware.
const FirmwareFile = ${goString(model.firmware.file)}

// FirmwareWords is the number of words in FirmwareFile: what wordlist_size shows once it is loaded.
const FirmwareWords = ${model.firmware.words}
`);
  const pci = model.pci;
  const ids: [string, number, string][] = [
    ["PCIVendorID", pci.vendorId, "the vendor ID of every mock-accel function."],
    ["PCIPFDeviceID", pci.pfDeviceId, "the device ID of a physical function."],
    ["PCIVFDeviceID", pci.vfDeviceId, "the device ID of a virtual function."],
    ["PCIClassCode", pci.classCode, "the 24-bit PCI class code."],
    ["PCIRevisionID", pci.revisionId, "the PCI revision ID."],
    ["PCISubsystemVendorID", pci.subsystemVendorId, "the PCI subsystem vendor ID."],
    ["PCISubsystemID", pci.subsystemId, "the PCI subsystem ID."],
  ];
  for (const [name, v, doc] of ids) out.push(`// ${name} is ${doc}\nconst ${name} = ${goHex(v)}\n`);
  out.push(`// SRIOVMaxTotalVFs is the most VFs a PF carries.
const SRIOVMaxTotalVFs = ${pci.sriov.maxTotalVfs}

// SRIOVFirstVFOffset and SRIOVVFStride: VF n of a PF is PCI function PF + offset + n * stride.
const SRIOVFirstVFOffset = ${pci.sriov.firstVfOffset}

// SRIOVVFStride is the PCI function distance between consecutive VFs.
const SRIOVVFStride = ${pci.sriov.vfStride}
`);
  for (const c of model.deviceConfig) {
    for (const [kind, v] of [["PF", c.defaultPf], ["VF", c.defaultVf]] as const) {
      if (v === null) continue;
      const name = `Config${goName(c.name)}Default${kind}`;
      out.push(`// ${name} is device_config ${c.name}'s default_${kind.toLowerCase()}: ${oneLine(c.description)}\nconst ${name} = ${v > 0xffffn ? goHex(v) : v}\n`);
    }
  }
  for (const { reg, attribute } of shownFieldRegisters(model)) {
    for (const f of reg.fields) {
      const stem = `${goName(reg.name)}${goName(f.name)}`;
      out.push(`// ${stem}Mask is field ${reg.name}.${f.name} in the \`${attribute}\` attribute's value.${f.description ? ` ${oneLine(f.description)}` : ""}\nconst ${stem}Mask = ${goHex(f.mask)}\n`);
      out.push(`// ${stem}Shift is the lowest bit of ${reg.name}.${f.name}.\nconst ${stem}Shift = ${f.lsb}\n`);
    }
  }
  out.push(`// AttributeName names a sysfs attribute file of a mock-accel device.
type AttributeName string
`);
  for (const a of attrs) out.push(`// Attr${goName(a.name)} is ${a.name}: ${oneLine(a.description)}\nconst Attr${goName(a.name)} AttributeName = ${goString(a.name)}\n`);
  for (const a of attrs) {
    if (a.valueType !== "enum") continue;
    const t = goName(a.name);
    const reg = sourceRegister(model, a)!;
    out.push(`// ${t} is a value of ${a.name} (register ${reg.name}).\ntype ${t} string\n`);
    for (const e of reg.enumValues) {
      out.push(`// ${t}${goName(e.name)} is ${reg.name} ${e.name} (${e.value}).${e.description ? ` ${oneLine(e.description)}` : ""}\nconst ${t}${goName(e.name)} ${t} = ${goString(e.name.toLowerCase())}\n`);
    }
    const cases = reg.enumValues.map((e) => `${t}${goName(e.name)}`).join(", ");
    out.push(`// parseAttr${t}: an enum's lower-case value name; the kernel's "unknown" (a value the spec does not list) does not parse.
func parseAttr${t}(text string) (${t}, bool) {
\tswitch v := ${t}(lineBody(text)); v {
\tcase ${cases}:
\t\treturn v, true
\t}
\treturn "", false
}
`);
  }
  out.push(`// Attributes is every sysfs attribute in spec order.
var Attributes = []AttributeSpec{
${attrs.map((a) => tableEntry(model, a)).join("\n")}
}
`);
  for (const a of attrs) {
    const c = codecs.get(a.name)!;
    out.push(`// formatAttr${goName(a.name)} is exactly the text the kernel shows for ${a.name}, newline included.\nfunc formatAttr${goName(a.name)}(v ${c.goType}) string { return ${c.format} }\n`);
    if (a.readable) out.push(accessor(a, c));
    if (a.writable) out.push(setter(model, a, c));
  }
  out.push(`// draValues reads the attributes the spec maps to DRA (dra:), in spec order.
func (d *Device) draValues() ([]draValue, error) {
\tvar out []draValue
${attrs.filter((a) => a.dra !== null && a.readable).map(draBlock).join("")}\treturn out, nil
}
`);
  // gofmt drops trailing blanks (a comment whose description is empty ends in ": ").
  return out.join("\n").split("\n").map((l) => l.trimEnd()).join("\n");
}

export const emitGoClient: Emitter = (model, ctx) => [{ path: GO_CLIENT_PATH, content: goClientSource(model, ctx.specPath) }];
