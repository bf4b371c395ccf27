// packages/kernel-driver/src/mock_accel_sysfs.{c,h}: show/store functions for every
// register-backed sysfs attribute, prototypes for driver-sourced ones, the attribute array,
// is_visible for PF-only/VF-only attributes, and the attribute group.
import type { DeviceModel, RegisterModel, SysfsAttributeModel } from "../model/register-model.ts";
import type { Emitter, GeneratedFile } from "./emitter.ts";
import { renderTemplate } from "./hbs-env.ts";
import { STRING_MAX_BYTES } from "../load/semantic-checks.ts";
import { bannerLines, cUnsigned, findRegister, memberMacro, registerMacro } from "./c-names.ts";

const C_TEMPLATE = "c-sysfs.c.hbs";
const H_TEMPLATE = "c-sysfs.h.hbs";

/** A spec the C generator cannot express: names the attribute and why. */
function unsupported(a: SysfsAttributeModel, why: string): Error {
  return new Error(`codegen: sysfs attribute ${a.name}: ${why}`);
}

function modeText(mode: number): string {
  return `0${mode.toString(8).padStart(3, "0")}`;
}

interface Names {
  prefix: string; // lower-case C prefix, e.g. mock_accel
  bar0Fn: string;
  isVfFn: string;
  cacheStruct: string;
  cacheFillFn: string;
  cacheFn: string;
}

function names(model: DeviceModel): Names {
  return {
    prefix: model.name,
    bar0Fn: `${model.name}_sysfs_bar0`,
    isVfFn: `${model.name}_sysfs_is_vf`,
    cacheStruct: `${model.name}_sysfs_cache`,
    cacheFillFn: `${model.name}_sysfs_cache_fill`,
    cacheFn: `${model.name}_sysfs_cached`,
  };
}

/** One register read at probe: a field of the cache struct, in register order. */
interface CacheEntry {
  member: string;
  reg: string;
  isU32: boolean;
  isU64: boolean;
  isWords: boolean;
  words: number;
}

function cacheEntries(model: DeviceModel): CacheEntry[] {
  const regs = new Map<string, RegisterModel>();
  for (const a of model.attributes) if (a.cachedAtProbe && a.source.kind === "register") regs.set(a.source.register, findRegister(model, a.source.register));
  return [...regs.values()]
    .sort((x, y) => x.offsetBytes - y.offsetBytes)
    .map((reg) => {
      if (reg.sizeBytes % 4 !== 0) throw new Error(`codegen: register ${reg.name} is read at probe but is not whole 32-bit words`);
      return {
        member: reg.name.toLowerCase(),
        reg: registerMacro(model, reg),
        isU32: reg.sizeBytes === 4,
        isU64: reg.sizeBytes === 8,
        isWords: reg.sizeBytes > 8,
        words: reg.sizeBytes / 4,
      };
    });
}

/**
 * C expression reading a register of at most 4 bytes as a u32. A 1- or 2-byte register is
 * read through the aligned 32-bit word that holds it (the driver makes 32-bit accesses only),
 * then shifted down and masked to its own bytes.
 */
function read32(model: DeviceModel, reg: RegisterModel): string {
  const stem = registerMacro(model, reg);
  if (reg.sizeBytes === 4) return `ioread32(bar0 + ${stem}_OFFSET)`;
  if (reg.sizeBytes > 4) throw new Error(`codegen: register ${reg.name} is ${reg.sizeBytes} bytes, not one 32-bit read`);
  return `(ioread32(bar0 + (${stem}_OFFSET & ~3U)) >> (8U * (${stem}_OFFSET & 3U))) & ((1U << (8U * ${stem}_SIZE)) - 1U)`;
}

function registerOf(model: DeviceModel, a: SysfsAttributeModel): RegisterModel {
  if (a.source.kind !== "register") throw unsupported(a, "not register-backed");
  return findRegister(model, a.source.register);
}

function fieldMacro(model: DeviceModel, a: SysfsAttributeModel, reg: RegisterModel): string | false {
  if (a.source.kind !== "register" || a.source.field === null) return false;
  const field = a.source.field;
  if (!reg.fields.some((f) => f.name === field)) throw unsupported(a, `register ${reg.name} has no field ${field}`);
  return memberMacro(model, reg, field);
}

function showView(model: DeviceModel, a: SysfsAttributeModel, n: Names): object {
  const reg = registerOf(model, a);
  const base = {
    name: a.name,
    description: a.description || `${a.format} from ${reg.name}`,
    fn: `${n.prefix}_sysfs_${a.name}_show`,
    reg: registerMacro(model, reg),
    field: fieldMacro(model, a, reg),
    cached: a.cachedAtProbe,
    member: reg.name.toLowerCase(),
    read: reg.sizeBytes <= 4 ? read32(model, reg) : false,
    isU32: false,
    isU64: false,
    isSemver: false,
    isEnum: false,
    isWords: false,
  };
  const scalar = (): object => {
    if (reg.sizeBytes > 8) throw unsupported(a, `format ${a.format} needs a register of at most 8 bytes, ${reg.name} is ${reg.sizeBytes} bytes`);
    const wide = reg.sizeBytes === 8 && base.field === false;
    if (a.format === "hex32" && reg.sizeBytes > 4) throw unsupported(a, `hex32 needs a register of at most 4 bytes, ${reg.name} is ${reg.sizeBytes}`);
    const printf = a.format === "hex32" ? "0x%08x" : wide ? "%llu" : "%u";
    const printArg = a.format === "bool" ? (wide ? "val ? 1ULL : 0ULL" : "val ? 1U : 0U") : "val";
    // A field of a 64-bit register still reads both words; it prints as u64.
    return reg.sizeBytes === 8 ? { ...base, isU64: true, printf: "%llu", printArg } : { ...base, isU32: true, printf, printArg };
  };
  switch (a.format) {
    case "decimal":
    case "hex32":
    case "bool":
      return scalar();
    case "semver": {
      if (reg.sizeBytes > 4) throw unsupported(a, `semver needs a register of at most 4 bytes, ${reg.name} is ${reg.sizeBytes}`);
      for (const part of ["MAJOR", "MINOR", "PATCH"]) {
        if (!reg.fields.some((f) => f.name === part)) throw unsupported(a, `semver needs field ${reg.name}.${part}`);
      }
      return {
        ...base,
        isSemver: true,
        major: memberMacro(model, reg, "MAJOR"),
        minor: memberMacro(model, reg, "MINOR"),
        patch: memberMacro(model, reg, "PATCH"),
      };
    }
    case "enum": {
      if (reg.sizeBytes > 4) throw unsupported(a, `enum needs a register of at most 4 bytes, ${reg.name} is ${reg.sizeBytes}`);
      if (reg.enumValues.length === 0) throw unsupported(a, `format enum but ${reg.name} has no enum values`);
      return {
        ...base,
        isEnum: true,
        enumValues: reg.enumValues.map((e) => ({ macro: memberMacro(model, reg, e.name), text: e.name.toLowerCase() })),
      };
    }
    case "uuid":
      if (reg.sizeBytes !== 16) throw unsupported(a, `uuid needs a 16-byte register, ${reg.name} is ${reg.sizeBytes}`);
      return { ...base, field: false, isWords: true, isString: false, printf: "%pUb", rawType: "u8" };
    case "string":
      if (reg.sizeBytes % 4 !== 0) throw unsupported(a, `string needs a register of whole 32-bit words, ${reg.name} is ${reg.sizeBytes} bytes`);
      // The words live on the kernel stack; keep well under W=1's 2 KiB frame warning.
      if (reg.sizeBytes > STRING_MAX_BYTES) throw unsupported(a, `string registers over ${STRING_MAX_BYTES} bytes are not supported (${reg.name})`);
      return { ...base, field: false, isWords: true, isString: true, printf: "%s", rawType: "char" };
  }
}

function storeView(model: DeviceModel, a: SysfsAttributeModel, n: Names): object {
  const reg = registerOf(model, a);
  const field = fieldMacro(model, a, reg);
  if (reg.access === "RO") throw unsupported(a, `writable, but register ${reg.name} is read-only`);
  if (!["decimal", "hex32", "bool", "enum"].includes(a.format)) throw unsupported(a, `format ${a.format} cannot be written`);
  if (reg.sizeBytes !== 4 && reg.sizeBytes !== 8) throw unsupported(a, `writes need a 4- or 8-byte register, ${reg.name} is ${reg.sizeBytes}`);
  const isU64 = reg.sizeBytes === 8;
  const cType = isU64 ? "u64" : "u32";
  const conditions: string[] = [];
  let maxRegister: string | false = false;
  let maxRead: string | false = false;
  const rules: string[] = [];
  const fieldInfo = field === false ? null : reg.fields.find((f) => a.source.kind === "register" && f.name === a.source.field)!;
  if (a.write?.kind === "range") {
    const min = a.write.min;
    const max = a.write.max;
    if (typeof max === "bigint") {
      const lo = cUnsigned(min, false);
      const hi = cUnsigned(max, false);
      conditions.push(min === max ? `val != ${lo}` : min > 0n ? `val < ${lo} || val > ${hi}` : `val > ${hi}`);
      rules.push(min === max ? `accepts only ${min}` : `accepts ${min}..${max}`);
    } else {
      const maxReg = findRegister(model, max.register);
      if (maxReg.sizeBytes > 4) throw unsupported(a, `write max register ${maxReg.name} must be at most 4 bytes`);
      maxRegister = registerMacro(model, maxReg);
      maxRead = read32(model, maxReg);
      conditions.push(min > 0n ? `val < ${cUnsigned(min, false)} || val > max` : "val > max");
      rules.push(`accepts ${min}..${max.register} (read at write time)`);
    }
  } else if (a.write?.kind === "parse-u32") {
    rules.push("accepts any u32 (decimal, 0x hex or 0 octal)");
  }
  if (fieldInfo) {
    conditions.push(`val > (${field}_bm >> ${field}_bp)`);
    rules.push(`must fit field ${fieldInfo.name} (${fieldInfo.widthBits} bits)`);
  }
  if (a.format === "bool" && a.write === null) {
    conditions.push(isU64 ? "val > 1ULL" : "val > 1U");
    rules.push("accepts 0 or 1");
  }
  // Without an explicit write rule, a register that lists values accepts only those (a
  // command register then only ever receives a command it defines).
  const enumValues =
    a.format !== "enum" && a.write === null && reg.enumValues.length > 0
      ? reg.enumValues.map((e) => ({ macro: memberMacro(model, reg, e.name) }))
      : [];
  if (enumValues.length > 0) rules.push(`accepts ${reg.enumValues.map((e) => e.value.toString()).join(", ")}`);
  const enumNames =
    a.format === "enum" ? reg.enumValues.map((e) => ({ macro: memberMacro(model, reg, e.name), text: e.name.toLowerCase() })) : [];
  if (enumNames.length > 0) rules.push(`accepts ${enumNames.map((e) => e.text).join(", ")}`);
  if (rules.length === 0) rules.push(`accepts any ${cType}`);
  return {
    name: a.name,
    rule: `${rules.join("; ")}; anything else is -EINVAL`,
    fn: `${n.prefix}_sysfs_${a.name}_store`,
    reg: registerMacro(model, reg),
    field,
    cType,
    isU64,
    parseFn: isU64 ? "kstrtou64" : "kstrtou32",
    maxRegister,
    maxRead,
    conditions,
    enumValues,
    enumNames,
  };
}

export const emitCSysfs: Emitter = (model, ctx): GeneratedFile[] => {
  const n = names(model);
  const hFile = `${model.name}_sysfs.h`;
  const cFile = `${model.name}_sysfs.c`;
  const attrVar = (a: SysfsAttributeModel): string => `${n.prefix}_dev_attr_${a.name}`;
  const registerBacked = model.attributes.filter((a) => a.source.kind === "register");
  const driver = model.attributes.filter((a) => a.source.kind === "driver");
  const showFn = (a: SysfsAttributeModel): string =>
    a.source.kind === "driver" ? `${n.prefix}_${a.name}_show` : `${n.prefix}_sysfs_${a.name}_show`;
  const storeFn = (a: SysfsAttributeModel): string =>
    a.source.kind === "driver" ? `${n.prefix}_${a.name}_store` : `${n.prefix}_sysfs_${a.name}_store`;
  const cache = cacheEntries(model);
  const common = {
    deviceName: model.name,
    bar0Fn: n.bar0Fn,
    isVfFn: n.isVfFn,
    cacheStruct: n.cacheStruct,
    cacheFillFn: n.cacheFillFn,
    cacheFn: n.cacheFn,
    cache,
    cacheHasWords: cache.some((e) => e.isWords),
    groupsVar: `${n.prefix}_groups`,
  };
  const hView = {
    ...common,
    fileName: hFile,
    banner: bannerLines(ctx.specPath, H_TEMPLATE),
    guard: hFile.toUpperCase().replace(/[^A-Z0-9]/g, "_"),
    driverAttributes: driver.map((a) => ({
      name: a.name,
      mode: modeText(a.mode),
      functions: a.functions === "all" ? "PF and VF" : a.functions === "pf" ? "PF only" : "VF only",
      description: a.description || a.format,
      showFn: a.readable ? showFn(a) : false,
      storeFn: a.writable ? storeFn(a) : false,
    })),
  };
  const cView = {
    ...common,
    fileName: cFile,
    sysfsClass: model.sysfsClass,
    banner: bannerLines(ctx.specPath, C_TEMPLATE),
    regsInclude: `../include/${model.name}_regs.h`,
    sysfsHeader: hFile,
    shows: registerBacked.filter((a) => a.readable).map((a) => showView(model, a, n)),
    stores: registerBacked.filter((a) => a.writable).map((a) => storeView(model, a, n)),
    attributes: model.attributes.map((a) => ({
      name: a.name,
      var: attrVar(a),
      mode: modeText(a.mode),
      show: a.readable ? showFn(a) : "NULL",
      store: a.writable ? storeFn(a) : "NULL",
    })),
    attrsVar: `${n.prefix}_attrs`,
    isVisibleFn: `${n.prefix}_sysfs_is_visible`,
    groupVar: `${n.prefix}_group`,
    hasScoped: model.attributes.some((a) => a.functions !== "all"),
    pfOnly: model.attributes.filter((a) => a.functions === "pf").map(attrVar),
    vfOnly: model.attributes.filter((a) => a.functions === "vf").map(attrVar),
  };
  return [
    { path: `packages/kernel-driver/src/${hFile}`, content: renderTemplate(H_TEMPLATE, hView) },
    { path: `packages/kernel-driver/src/${cFile}`, content: renderTemplate(C_TEMPLATE, cView) },
  ];
};
