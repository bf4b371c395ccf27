// Turns the raw spec object (already checked against the schema and the semantic rules)
// into the normalized DeviceModel. No validation here: load-spec.ts runs it only on a spec
// that passed, so every lookup below is known to succeed.
import type {
  AttributeSource,
  AttributeValueType,
  AttributeWrite,
  BarModel,
  DeviceModel,
  DraMapping,
  FieldModel,
  RegisterModel,
  SysfsAttributeModel,
} from "./register-model.ts";

import type { RawSpec, RawAttribute, RawRegister } from "../load/spec-schema.ts";
import { attributeValueType } from "./value-types.ts";
import { lowerCamel } from "../load/identifiers.ts";

const big = (v: number | bigint | undefined | null): bigint | null =>
  v === undefined || v === null ? null : BigInt(v);

function fieldModel(f: NonNullable<RawRegister["fields"]>[number]): FieldModel {
  const mask = ((1n << BigInt(f.width_bits)) - 1n) << BigInt(f.lsb);
  return { name: f.name, lsb: f.lsb, widthBits: f.width_bits, mask, description: f.description ?? "" };
}

function registerModel(r: RawRegister): RegisterModel {
  let writeRange: RegisterModel["writeRange"] = null;
  if (r.write_range) {
    const max = r.write_range.max;
    writeRange = { min: BigInt(r.write_range.min), max: typeof max === "string" ? { register: max } : BigInt(max) };
  }
  return {
    name: r.name,
    offsetBytes: r.offset,
    sizeBytes: r.size_bytes,
    access: r.access,
    resetValue: big(r.reset),
    source: r.source ?? null,
    behaviour: r.behaviour ?? null,
    writeRange,
    fields: (r.fields ?? []).map(fieldModel),
    enumValues: (r.enum ?? []).map((e) => ({ name: e.name, value: BigInt(e.value), description: e.description ?? "" })),
    description: r.description ?? "",
  };
}

function attributeModel(a: RawAttribute, registers: Map<string, RegisterModel>): SysfsAttributeModel {
  const source: AttributeSource =
    a.source === "driver"
      ? { kind: "driver", shows: a.shows ?? null }
      : { kind: "register", register: a.source.register, field: a.source.field ?? null };
  let valueType: AttributeValueType;
  if (source.kind === "driver") {
    valueType = a.type ?? "u32";
  } else {
    const reg = registers.get(source.register)!;
    const field = reg.fields.find((f) => f.name === source.field);
    valueType = attributeValueType(a.format, { registerSizeBytes: reg.sizeBytes, fieldWidthBits: field?.widthBits });
  }
  let write: AttributeWrite | null = null;
  if (a.write) {
    if ("parse" in a.write) write = { kind: "parse-u32" };
    else {
      const max = a.write.max;
      write = { kind: "range", min: BigInt(a.write.min), max: typeof max === "string" ? { register: max } : BigInt(max) };
    }
  }
  let dra: DraMapping | null = null;
  if (a.dra) {
    if ("capacity" in a.dra) dra = { kind: "capacity", name: a.dra.capacity, alsoAttribute: a.dra.attribute ?? null };
    else {
      const fields = a.dra.bits === true && source.kind === "register" ? registers.get(source.register)!.fields : [];
      const bits = fields.map((f) => ({ field: f.name, name: lowerCamel(f.name), lsb: f.lsb, mask: f.mask }));
      dra = { kind: "attribute", name: a.dra.attribute, bits };
    }
  }
  const mode = Number.parseInt(a.mode, 8);
  const readable = (mode & 0o444) !== 0;
  const writable = (mode & 0o222) !== 0;
  const backing = source.kind === "register" ? registers.get(source.register)! : null;
  return {
    name: a.name,
    source,
    format: a.format,
    valueType,
    mode,
    readable,
    writable,
    functions: a.functions ?? "all",
    write,
    dra,
    cachedAtProbe: backing !== null && readable && !writable && backing.access === "RO" && backing.source !== null,
    description: a.description ?? "",
  };
}

export function buildModel(raw: RawSpec): DeviceModel {
  const bars: BarModel[] = raw.bars.map((b) => ({
    name: b.name,
    index: b.index,
    sizeBytes: b.size_bytes,
    holeReads: "zero",
    holeWrites: "ignore_and_log",
    readOnlyWrites: "ignore_and_log",
    writeOnlyReads: "zero",
    registers: b.registers.map(registerModel).sort((x, y) => x.offsetBytes - y.offsetBytes),
  }));
  const registers = new Map(bars.flatMap((b) => b.registers.map((r) => [r.name, r] as const)));
  return {
    specVersion: raw.spec_version,
    name: raw.device.name,
    description: raw.device.description ?? "",
    pci: {
      vendorId: raw.pci.vendor_id,
      pfDeviceId: raw.pci.pf_device_id,
      vfDeviceId: raw.pci.vf_device_id,
      classCode: raw.pci.class_code,
      revisionId: raw.pci.revision_id,
      subsystemVendorId: raw.pci.subsystem_vendor_id,
      subsystemId: raw.pci.subsystem_id,
      sriov: {
        capabilityOffset: raw.pci.sriov.capability_offset,
        maxTotalVfs: raw.pci.sriov.max_total_vfs,
        firstVfOffset: raw.pci.sriov.first_vf_offset,
        vfStride: raw.pci.sriov.vf_stride,
      },
    },
    deviceConfig: raw.device_config.map((c) => ({
      name: c.name,
      type: c.type,
      defaultPf: big(c.default_pf),
      defaultVf: big(c.default_vf),
      requiredPf: c.required === true || c.required_pf === true,
      requiredVf: c.required === true || c.required_vf === true,
      max: big(c.max),
      description: c.description ?? "",
    })),
    bars,
    sysfsClass: raw.sysfs.class,
    deviceNames: { pf: raw.sysfs.device_names.pf, vf: raw.sysfs.device_names.vf },
    firmware: { file: raw.firmware.file, words: raw.firmware.words },
    attributes: raw.sysfs.attributes.map((a) => attributeModel(a, registers)),
  };
}
