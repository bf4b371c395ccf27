// docs/registers.md: the register map and sysfs reference for people, from the same model
// the C and TypeScript outputs come from.
import type { AttributeFormat, DeviceModel, RegisterModel, SysfsAttributeModel } from "../model/register-model.ts";
import type { Emitter, GeneratedFile } from "./emitter.ts";
import { renderTemplate } from "./hbs-env.ts";
import { cPrefix, hexDigits, memberMacro, registerMacro } from "./c-names.ts";

const TEMPLATE = "registers.md.hbs";

/** Table cells: a `|` would end the cell, a newline the row. */
function cell(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\|/g, "\\|")
    .replace(/\s*\n\s*/g, " ")
    .trim();
}

const hex = (v: bigint | number, digits = 1): string => `0x${v.toString(16).padStart(digits, "0")}`;

const FORMAT_TEXT: Record<AttributeFormat, string> = {
  decimal: "decimal integer (`%u`, `%d` or `%llu`)",
  hex32: "`0x` and 8 lower-case hex digits",
  uuid: "lower-case 8-4-4-4-12 UUID",
  semver: "`major.minor.patch`",
  enum: "the lower-case enum value name (`unknown` for a value the spec does not list)",
  string: "the register's text up to its first NUL",
  bool: "`0` or `1`",
};

function writeRangeText(reg: RegisterModel): string | false {
  if (!reg.writeRange) return false;
  const max = typeof reg.writeRange.max === "bigint" ? reg.writeRange.max.toString() : `the current value of \`${reg.writeRange.max.register}\``;
  return `${reg.writeRange.min}..${max}; other values are ignored and logged`;
}

function registerView(model: DeviceModel, reg: RegisterModel): object {
  const digits = hexDigits(reg.sizeBytes);
  const behaviourText = {
    command: "command: a write runs the command; nothing is stored",
    notify: "notify: the value is stored and the device server is told of every write",
  };
  return {
    name: reg.name,
    anchor: reg.name.toLowerCase(),
    macro: registerMacro(model, reg),
    offsetHex: hex(reg.offsetBytes, 3),
    sizeBytes: reg.sizeBytes,
    access: reg.access,
    accessText: { RO: "read-only", RW: "read-write", WO: "write-only" }[reg.access],
    hasReset: reg.resetValue !== null,
    reset: reg.resetValue !== null ? `\`${hex(reg.resetValue, digits)}\`` : reg.source !== null ? `device_config \`${reg.source}\`` : "—",
    summary: cell(reg.description),
    description: reg.description,
    valueText:
      reg.resetValue !== null
        ? `resets to \`${hex(reg.resetValue, digits)}\`${reg.sizeBytes > 8 ? " in every 32-bit word" : ""}`
        : reg.source !== null
          ? `from device_config \`${reg.source}\``
          : "none stored (reads return 0)",
    behaviour: reg.behaviour ? behaviourText[reg.behaviour] : false,
    writeRange: writeRangeText(reg),
    fields: reg.fields.map((f) => ({
      bits: f.widthBits === 1 ? `${f.lsb}` : `${f.lsb + f.widthBits - 1}:${f.lsb}`,
      name: f.name,
      description: cell(f.description),
      macro: memberMacro(model, reg, f.name),
    })),
    enumValues: reg.enumValues.map((e) => ({
      value: e.value.toString(),
      name: e.name,
      description: cell(e.description),
      macro: memberMacro(model, reg, e.name),
    })),
  };
}

function attributeWrite(a: SysfsAttributeModel): string {
  if (!a.writable) return "—";
  if (a.write === null) return "any value of its type";
  if (a.write.kind === "parse-u32") return "any u32: decimal, `0x` hex or `0` octal";
  const max = typeof a.write.max === "bigint" ? a.write.max.toString() : `\`${a.write.max.register}\``;
  return a.write.min === a.write.max ? `only ${a.write.min}` : `${a.write.min}..${max}`;
}

function draCell(a: SysfsAttributeModel): string {
  if (a.dra === null) return "—";
  const own = `${a.dra.kind} \`${a.dra.name}\`${a.dra.kind === "capacity" && a.dra.alsoAttribute !== null ? `; int attribute \`${a.dra.alsoAttribute}\`` : ""}`;
  if (a.dra.kind !== "attribute" || a.dra.bits.length === 0) return own;
  // CEL cannot test a bit of an int, so each field is also a bool a claim can select on.
  return `${own}; bool ${a.dra.bits.map((b) => `\`${b.name}\` (${b.field})`).join(", ")}`;
}

function attributeView(a: SysfsAttributeModel): object {
  const src = a.source;
  return {
    name: a.name,
    mode: `0${a.mode.toString(8).padStart(3, "0")}`,
    format: a.format,
    functions: { all: "PF, VF", pf: "PF only", vf: "VF only" }[a.functions],
    source:
      src.kind === "driver"
        ? "driver"
        : `[\`${src.register}\`](#${src.register.toLowerCase()})${src.field !== null ? `.\`${src.field}\`` : ""}`,
    write: attributeWrite(a),
    dra: draCell(a),
    description: cell(a.description),
  };
}

export const emitMarkdown: Emitter = (model, ctx): GeneratedFile[] => {
  const prefix = cPrefix(model);
  const pci = model.pci;
  const opt = (v: bigint | null): string => (v === null ? "—" : v > 0xffffn ? `${v} (\`${hex(v)}\`)` : v.toString());
  const view = {
    specPath: ctx.specPath,
    template: TEMPLATE,
    deviceName: model.name,
    description: model.description,
    headerFile: `${model.name}_regs.h`,
    headerPath: `packages/kernel-driver/include/${model.name}_regs.h`,
    pci: [
      { label: "Vendor ID", value: hex(pci.vendorId, 4), macro: `${prefix}_PCI_VENDOR_ID` },
      { label: "PF device ID", value: hex(pci.pfDeviceId, 4), macro: `${prefix}_PCI_PF_DEVICE_ID` },
      { label: "VF device ID", value: hex(pci.vfDeviceId, 4), macro: `${prefix}_PCI_VF_DEVICE_ID` },
      { label: "Class code", value: hex(pci.classCode, 6), macro: `${prefix}_PCI_CLASS_CODE` },
      { label: "Revision ID", value: hex(pci.revisionId, 2), macro: `${prefix}_PCI_REVISION_ID` },
      { label: "Subsystem vendor ID", value: hex(pci.subsystemVendorId, 4), macro: `${prefix}_PCI_SUBSYSTEM_VENDOR_ID` },
      { label: "Subsystem ID", value: hex(pci.subsystemId, 4), macro: `${prefix}_PCI_SUBSYSTEM_ID` },
    ],
    sriov: [
      { label: "Capability offset", value: hex(pci.sriov.capabilityOffset, 3), macro: `${prefix}_SRIOV_CAPABILITY_OFFSET` },
      { label: "Max TotalVFs", value: pci.sriov.maxTotalVfs.toString(), macro: `${prefix}_SRIOV_MAX_TOTAL_VFS` },
      { label: "First VF offset", value: pci.sriov.firstVfOffset.toString(), macro: `${prefix}_SRIOV_FIRST_VF_OFFSET` },
      { label: "VF stride", value: pci.sriov.vfStride.toString(), macro: `${prefix}_SRIOV_VF_STRIDE` },
    ],
    deviceConfig: model.deviceConfig.map((c) => ({
      name: c.name,
      type: c.type,
      defaultPf: opt(c.defaultPf),
      defaultVf: opt(c.defaultVf),
      required: c.requiredPf && c.requiredVf ? "PF, VF" : c.requiredPf ? "PF" : c.requiredVf ? "VF" : "—",
      max: opt(c.max),
      description: cell(c.description),
    })),
    bars: model.bars.map((b) => ({
      name: b.name,
      index: b.index,
      sizeBytes: b.sizeBytes,
      holeReads: b.holeReads === "zero" ? "0" : b.holeReads,
      writeOnlyReads: b.writeOnlyReads === "zero" ? "0" : b.writeOnlyReads,
      registers: b.registers.map((r) => registerView(model, r)),
    })),
    sysfsClass: model.sysfsClass,
    attributes: model.attributes.map(attributeView),
    formats: (Object.keys(FORMAT_TEXT) as AttributeFormat[]).map((f) => ({ name: f, text: FORMAT_TEXT[f] })),
  };
  return [{ path: "docs/registers.md", content: renderTemplate(TEMPLATE, view) }];
};
