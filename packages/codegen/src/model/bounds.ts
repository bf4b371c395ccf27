// Static bounds for limits the spec expresses as "the current value of register X".
import type { DeviceModel, RegisterModel } from "./register-model.ts";

export function findRegister(model: DeviceModel, name: string): RegisterModel | undefined {
  for (const bar of model.bars) for (const r of bar.registers) if (r.name === name) return r;
  return undefined;
}

/**
 * The largest value register `name` can hold on any device: its reset value if it is a
 * read-only constant, the device_config `max` of its source if there is one, else its width.
 * E.g. sriov_numvfs's max names SRIOV_TOTAL_VFS, whose source total_vfs has max 7.
 */
export function registerStaticMax(model: DeviceModel, name: string): bigint {
  const reg = findRegister(model, name);
  if (!reg) throw new Error(`registerStaticMax: no register ${name} (the loader should have refused this spec)`);
  const widthMax = (1n << BigInt(Math.min(reg.sizeBytes, 8) * 8)) - 1n;
  if (reg.access === "RO" && reg.resetValue !== null) return reg.resetValue;
  if (reg.source !== null) {
    const cfg = model.deviceConfig.find((c) => c.name === reg.source);
    if (cfg?.max !== null && cfg?.max !== undefined) return cfg.max;
  }
  return widthMax;
}
