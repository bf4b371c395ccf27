// packages/kernel-driver/include/mock_accel_regs.h: PCI identity, BAR sizes, and per
// register its offset, size, constant reset value, field masks and enum values, plus
// _Static_asserts that recheck the layout wherever the header is compiled.
import type { DeviceModel, RegisterModel } from "../model/register-model.ts";
import type { Emitter, GeneratedFile } from "./emitter.ts";
import { renderTemplate } from "./hbs-env.ts";
import { bannerLines, cPrefix, cUnsigned, hexDigits, memberMacro, registerMacro } from "./c-names.ts";

const TEMPLATE = "c-header.h.hbs";

interface Define {
  name: string;
  value: string;
}

/** Pads names so the values of a block line up; the padding is part of the name string. */
function aligned(defs: Define[]): Define[] {
  const width = Math.max(0, ...defs.map((d) => d.name.length));
  return defs.map((d) => ({ name: d.name.padEnd(width), value: d.value }));
}

function registerDefines(model: DeviceModel, reg: RegisterModel): Define[] {
  const stem = registerMacro(model, reg);
  const defs: Define[] = [
    { name: `${stem}_OFFSET`, value: cUnsigned(reg.offsetBytes, true, 3) },
    { name: `${stem}_SIZE`, value: cUnsigned(reg.sizeBytes, false) },
  ];
  if (reg.resetValue !== null) {
    // Wider than 64 bits (buffers): the constant is what every 32-bit word resets to.
    defs.push({ name: `${stem}_RESET`, value: cUnsigned(reg.resetValue, true, hexDigits(reg.sizeBytes)) });
  }
  if (reg.writeRange) {
    // A bound naming a register is that register's value at write time: no constant.
    defs.push({ name: `${stem}_WRITE_MIN`, value: cUnsigned(reg.writeRange.min, false) });
    if (typeof reg.writeRange.max === "bigint") defs.push({ name: `${stem}_WRITE_MAX`, value: cUnsigned(reg.writeRange.max, false) });
  }
  for (const f of reg.fields) {
    const m = memberMacro(model, reg, f.name);
    defs.push(
      { name: `${m}_bm`, value: cUnsigned(f.mask, true, hexDigits(reg.sizeBytes)) },
      { name: `${m}_bp`, value: cUnsigned(f.lsb, false) },
      { name: `${m}_bw`, value: cUnsigned(f.widthBits, false) },
    );
  }
  for (const e of reg.enumValues) {
    defs.push({ name: memberMacro(model, reg, e.name), value: cUnsigned(e.value, false) });
  }
  return aligned(defs);
}

function registerComment(reg: RegisterModel): string[] {
  const lines: string[] = [];
  if (reg.description) lines.push(reg.description);
  for (const f of reg.fields) {
    const bits = f.widthBits === 1 ? `bit ${f.lsb}` : `bits ${f.lsb + f.widthBits - 1}:${f.lsb}`;
    lines.push(`  ${f.name} (${bits})${f.description ? `: ${f.description}` : ""}`);
  }
  for (const e of reg.enumValues) lines.push(`  ${e.name} = ${e.value}${e.description ? `: ${e.description}` : ""}`);
  if (reg.writeRange) {
    const max = typeof reg.writeRange.max === "bigint" ? reg.writeRange.max.toString() : `the value of ${reg.writeRange.max.register}`;
    lines.push(`Writes outside ${reg.writeRange.min}..${max} are refused.`);
  }
  return lines;
}

function asserts(model: DeviceModel): { expr: string; message: string }[] {
  const out: { expr: string; message: string }[] = [];
  for (const bar of model.bars) {
    const barSize = `${cPrefix(model)}_${bar.name}_SIZE`;
    let previous: RegisterModel | null = null;
    for (const reg of bar.registers) {
      const stem = registerMacro(model, reg);
      // The loader's alignment rule (semantic-checks.ts ALIGNMENT_RULE), checked again in C.
      const align = Math.min(reg.sizeBytes, 4);
      out.push({
        expr: `${stem}_OFFSET % ${align}U == 0U && ${stem}_OFFSET + ${stem}_SIZE <= ${barSize}`,
        message: `${reg.name} is ${align * 8}-bit aligned and inside ${bar.name}`,
      });
      if (previous) {
        const p = registerMacro(model, previous);
        out.push({ expr: `${p}_OFFSET + ${p}_SIZE <= ${stem}_OFFSET`, message: `${previous.name} ends before ${reg.name}` });
      }
      for (const f of reg.fields) {
        if (f.widthBits >= 64) continue;
        const m = memberMacro(model, reg, f.name);
        out.push({
          expr: `${m}_bm == (((1ULL << ${m}_bw) - 1ULL) << ${m}_bp) && ${m}_bp + ${m}_bw <= 8U * ${stem}_SIZE`,
          message: `${reg.name}.${f.name} mask matches its position and fits the register`,
        });
      }
      previous = reg;
    }
  }
  return out;
}

export const emitCHeader: Emitter = (model, ctx): GeneratedFile[] => {
  const fileName = `${model.name}_regs.h`;
  const prefix = cPrefix(model);
  const pci = model.pci;
  const view = {
    fileName,
    deviceName: model.name,
    barNames: model.bars.map((b) => b.name).join(", "),
    banner: bannerLines(ctx.specPath, TEMPLATE),
    guard: fileName.toUpperCase().replace(/[^A-Z0-9]/g, "_"),
    pci: aligned([
      { name: `${prefix}_PCI_VENDOR_ID`, value: cUnsigned(pci.vendorId, true, 4) },
      { name: `${prefix}_PCI_PF_DEVICE_ID`, value: cUnsigned(pci.pfDeviceId, true, 4) },
      { name: `${prefix}_PCI_VF_DEVICE_ID`, value: cUnsigned(pci.vfDeviceId, true, 4) },
      { name: `${prefix}_PCI_CLASS_CODE`, value: cUnsigned(pci.classCode, true, 6) },
      { name: `${prefix}_PCI_REVISION_ID`, value: cUnsigned(pci.revisionId, true, 2) },
      { name: `${prefix}_PCI_SUBSYSTEM_VENDOR_ID`, value: cUnsigned(pci.subsystemVendorId, true, 4) },
      { name: `${prefix}_PCI_SUBSYSTEM_ID`, value: cUnsigned(pci.subsystemId, true, 4) },
    ]),
    names: aligned([
      { name: `${prefix}_MODULE_NAME`, value: JSON.stringify(model.name) },
      { name: `${prefix}_SYSFS_CLASS`, value: JSON.stringify(model.sysfsClass) },
      { name: `${prefix}_PF_NAME_FMT`, value: JSON.stringify(model.deviceNames.pf.replace("{pf}", "%d")) },
      { name: `${prefix}_VF_NAME_FMT`, value: JSON.stringify(model.deviceNames.vf.replace("{pf}", "%d").replace("{vf}", "%u")) },
      { name: `${prefix}_FIRMWARE_FILE`, value: JSON.stringify(model.firmware.file) },
      { name: `${prefix}_FIRMWARE_WORDS`, value: cUnsigned(model.firmware.words, false) },
    ]),
    configDefaults: aligned(
      model.deviceConfig.flatMap((c) =>
        (["Pf", "Vf"] as const).flatMap((kind) => {
          const v = kind === "Pf" ? c.defaultPf : c.defaultVf;
          return v === null ? [] : [{ name: `${prefix}_CONFIG_${c.name.toUpperCase()}_DEFAULT_${kind.toUpperCase()}`, value: cUnsigned(v, v > 0xffffn) }];
        }),
      ),
    ),
    sriov: aligned([
      { name: `${prefix}_SRIOV_CAPABILITY_OFFSET`, value: cUnsigned(pci.sriov.capabilityOffset, true, 3) },
      { name: `${prefix}_SRIOV_MAX_TOTAL_VFS`, value: cUnsigned(pci.sriov.maxTotalVfs, false) },
      { name: `${prefix}_SRIOV_FIRST_VF_OFFSET`, value: cUnsigned(pci.sriov.firstVfOffset, false) },
      { name: `${prefix}_SRIOV_VF_STRIDE`, value: cUnsigned(pci.sriov.vfStride, false) },
    ]),
    bars: model.bars.map((b) => ({
      name: b.name,
      index: b.index,
      sizeBytes: b.sizeBytes,
      defines: aligned([
        { name: `${prefix}_${b.name}_INDEX`, value: cUnsigned(b.index, false) },
        { name: `${prefix}_${b.name}_SIZE`, value: cUnsigned(b.sizeBytes, false) },
      ]),
    })),
    registers: model.bars.flatMap((b) =>
      b.registers.map((r) => ({
        name: r.name,
        offsetHex: `0x${r.offsetBytes.toString(16).padStart(3, "0")}`,
        sizeBytes: r.sizeBytes,
        access: r.access,
        source: r.source ?? false,
        behaviour: r.behaviour ?? false,
        comment: registerComment(r),
        defines: registerDefines(model, r),
      })),
    ),
    asserts: asserts(model),
  };
  return [{ path: `packages/kernel-driver/include/${fileName}`, content: renderTemplate(TEMPLATE, view) }];
};
