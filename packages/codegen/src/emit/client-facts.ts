// What both client emitters (TypeScript: emit-client-attributes.ts, Go: emit-go-client.ts)
// derive from the model the same way: the widest value an attribute can show, its value after a
// reset, its static write bounds and the attribute that bounds its writes. One model, two
// emitters: each prints these facts in its own language and never decides them itself.
import type { DeviceModel, RegisterModel, SysfsAttributeModel } from "../model/register-model.ts";
import { findRegister, registerStaticMax } from "../model/bounds.ts";

export const U32_MAX = 0xffff_ffffn;
export const U64_MAX = 0xffff_ffff_ffff_ffffn;

export function sourceRegister(model: DeviceModel, a: SysfsAttributeModel): RegisterModel | undefined {
  return a.source.kind === "register" ? findRegister(model, a.source.register) : undefined;
}

/** Largest raw value the attribute can show: its field's or register's width, else its type's. */
export function rawMax(model: DeviceModel, a: SysfsAttributeModel): bigint {
  const reg = sourceRegister(model, a);
  if (a.source.kind === "register" && reg) {
    const field = reg.fields.find((f) => f.name === (a.source as { field: string | null }).field);
    const bits = field ? field.widthBits : Math.min(reg.sizeBytes, 8) * 8;
    return (1n << BigInt(bits)) - 1n;
  }
  return a.valueType === "u64" ? U64_MAX : U32_MAX;
}

/** Largest value each part of a semver attribute can hold (its field's width). */
export function semverMax(model: DeviceModel, a: SysfsAttributeModel): { major: number; minor: number; patch: number } {
  const reg = sourceRegister(model, a)!;
  const part = (n: string) => (1 << reg.fields.find((x) => x.name === n)!.widthBits) - 1;
  return { major: part("MAJOR"), minor: part("MINOR"), patch: part("PATCH") };
}

/**
 * The raw value (cut to the attribute's field) after a device reset: the register's constant
 * `reset`. null for driver attributes and for registers whose value comes from device_config
 * (`source`) or that have no reset value.
 */
export function resetRaw(model: DeviceModel, a: SysfsAttributeModel): bigint | null {
  const reg = sourceRegister(model, a);
  if (a.source.kind !== "register" || !reg || reg.source !== null || reg.resetValue === null) return null;
  const fieldName = a.source.field;
  const field = fieldName === null ? undefined : reg.fields.find((f) => f.name === fieldName);
  return field ? (reg.resetValue & field.mask) >> BigInt(field.lsb) : reg.resetValue;
}

/** The value of field `name` of `raw` in the attribute's register. */
export function fieldOf(model: DeviceModel, a: SysfsAttributeModel, raw: bigint, name: string): number {
  const f = sourceRegister(model, a)!.fields.find((x) => x.name === name)!;
  return Number((raw & f.mask) >> BigInt(f.lsb));
}

/** A write range's bounds with a register-named max replaced by that register's static max. */
export function staticWriteRange(model: DeviceModel, a: SysfsAttributeModel): { min: bigint; max: bigint } | null {
  const w = a.write;
  if (!a.writable || w === null || w.kind !== "range") return null;
  return { min: w.min, max: typeof w.max === "bigint" ? w.max : registerStaticMax(model, w.max.register) };
}

/**
 * The attribute whose value is this attribute's write bound, when the spec's write `max` names
 * a register: the attribute that sources that register directly, else the driver attribute
 * that says `shows:` it (sriov_totalvfs shows SRIOV_TOTAL_VFS under the kernel's own name),
 * else null (no attribute shows the register, so a client cannot check the bound before writing).
 */
export function writeMaxAttribute(model: DeviceModel, a: SysfsAttributeModel): string | null {
  const w = a.write;
  if (!a.writable || w === null || w.kind !== "range" || typeof w.max === "bigint") return null;
  const register = w.max.register;
  const direct = model.attributes.find((x) => x.source.kind === "register" && x.source.register === register && x.source.field === null);
  if (direct) return direct.name;
  const shown = model.attributes.find((x) => x.readable && x.source.kind === "driver" && x.source.shows === register);
  return shown ? shown.name : null;
}

/** Registers that attributes show and that have fields (32 bits at most): their field tables go to clients. */
export function shownFieldRegisters(model: DeviceModel): { reg: RegisterModel; attribute: string }[] {
  const out: { reg: RegisterModel; attribute: string }[] = [];
  for (const r of model.bars.flatMap((b) => b.registers)) {
    const a = model.attributes.find((x) => x.source.kind === "register" && x.source.register === r.name);
    if (!a || r.fields.length === 0 || r.sizeBytes > 4) continue;
    out.push({ reg: r, attribute: a.name });
  }
  return out;
}
