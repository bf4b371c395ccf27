// C spellings shared by the C emitters, so the header and the sysfs code agree on every
// identifier and literal. Names follow docs/architecture.md "Generated C: names".
import type { DeviceModel, RegisterModel } from "../model/register-model.ts";

/** MOCK_ACCEL for device name mock_accel. */
export function cPrefix(model: DeviceModel): string {
  return model.name.toUpperCase();
}

/** MOCK_ACCEL_STATUS: the stem every per-register macro extends (_OFFSET, _SIZE, ...). */
export function registerMacro(model: DeviceModel, reg: RegisterModel | string): string {
  return `${cPrefix(model)}_${typeof reg === "string" ? reg : reg.name}`;
}

/** MOCK_ACCEL_STATUS__ALLOCATED: stem of a field's _bm/_bp/_bw or an enum value's name. */
export function memberMacro(model: DeviceModel, reg: RegisterModel | string, member: string): string {
  return `${registerMacro(model, reg)}__${member}`;
}

/**
 * An unsigned C literal: `U` when it fits 32 bits, `ULL` otherwise, so arithmetic on it
 * never goes signed (W=1 -Wsign-compare) and 64-bit values keep their width.
 */
export function cUnsigned(value: bigint | number, hex = true, minDigits = 1): string {
  const v = BigInt(value);
  if (v < 0n) throw new Error(`cUnsigned: negative value ${v}`);
  const digits = hex ? `0x${v.toString(16).padStart(minDigits, "0")}` : v.toString(10);
  return `${digits}${v > 0xffff_ffffn ? "ULL" : "U"}`;
}

/** Hex digits a register of `sizeBytes` needs, for aligned reset values and masks. */
export function hexDigits(sizeBytes: number): number {
  // Buffers wider than 64 bits reset every 32-bit word to the constant.
  return sizeBytes <= 8 ? sizeBytes * 2 : 8;
}

/** Every register of every BAR, in BAR then offset order. */
export function allRegisters(model: DeviceModel): RegisterModel[] {
  return model.bars.flatMap((b) => b.registers);
}

export function findRegister(model: DeviceModel, name: string): RegisterModel {
  const reg = allRegisters(model).find((r) => r.name === name);
  if (!reg) throw new Error(`codegen: register ${name} is not in the model`);
  return reg;
}

/** Banner lines shared by every generated C file (inside a block comment). */
export function bannerLines(specPath: string, template: string): string[] {
  return [
    `Generated from ${specPath} by packages/codegen (template ${template}).`,
    "Do not edit: change the spec and run `bun run codegen`.",
  ];
}
