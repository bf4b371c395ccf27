// The validated, normalized device model every generator reads. The YAML shape lives in
// spec-schema.ts; this is what it becomes after validation, with units in the names and
// every default filled in, so emitters never re-interpret the spec.

export type Access = "RO" | "RW" | "WO";
export type Behaviour = "command" | "notify";
export type ConfigType = "uuid" | "u32" | "u64";
export type AttributeFormat = "decimal" | "hex32" | "uuid" | "semver" | "enum" | "string" | "bool";
export type AttributeValueType = "u32" | "s32" | "u64" | "bool" | "uuid" | "semver" | "enum" | "string";
export type FunctionScope = "all" | "pf" | "vf";

export interface EnumValueModel {
  name: string;
  value: bigint;
  description: string;
}

export interface FieldModel {
  name: string;
  lsb: number;
  widthBits: number;
  /** Mask in register position, e.g. 0x00ff0000 for bits 23:16. */
  mask: bigint;
  description: string;
}

export interface WriteRangeModel {
  min: bigint;
  /** A constant bound, or the name of a register whose current value is the bound. */
  max: bigint | { register: string };
}

export interface RegisterModel {
  name: string;
  offsetBytes: number;
  sizeBytes: number;
  access: Access;
  /** Constant reset value; null when the value comes from device configuration. */
  resetValue: bigint | null;
  /** device_config entry that supplies the value, or null. */
  source: string | null;
  behaviour: Behaviour | null;
  writeRange: WriteRangeModel | null;
  fields: FieldModel[];
  enumValues: EnumValueModel[];
  description: string;
}

export interface BarModel {
  name: string;
  index: number;
  sizeBytes: number;
  holeReads: "zero";
  holeWrites: "ignore_and_log";
  readOnlyWrites: "ignore_and_log";
  writeOnlyReads: "zero";
  /** Sorted by offset. */
  registers: RegisterModel[];
}

export interface DeviceConfigModel {
  name: string;
  type: ConfigType;
  defaultPf: bigint | null;
  defaultVf: bigint | null;
  requiredPf: boolean;
  requiredVf: boolean;
  max: bigint | null;
  description: string;
}

export type AttributeSource =
  | { kind: "register"; register: string; field: string | null }
  /** `shows`: the register whose value the driver prints (spec `shows:`), or null. */
  | { kind: "driver"; shows: string | null };

export type AttributeWrite =
  | { kind: "range"; min: bigint; max: bigint | { register: string } }
  | { kind: "parse-u32" };

/** One single-bit field of the attribute's register, published as a boolean DRA attribute. */
export interface DraBitModel {
  /** The register field, e.g. "P2P_DMA". */
  field: string;
  /** Its DRA attribute name: the field name in lowerCamel, e.g. "p2pDma". */
  name: string;
  lsb: number;
  mask: bigint;
}

export type DraMapping =
  | { kind: "attribute"; name: string; /** Empty unless the spec says `bits: true`. */ bits: DraBitModel[] }
  | { kind: "capacity"; name: string; /** Also published as an int attribute of this name (spec `attribute:` beside `capacity:`), or null. */ alsoAttribute: string | null };

export interface SysfsAttributeModel {
  name: string;
  source: AttributeSource;
  format: AttributeFormat;
  /** The value type readers get: from the register (width, format) or the spec's `type`. */
  valueType: AttributeValueType;
  mode: number;
  readable: boolean;
  writable: boolean;
  functions: FunctionScope;
  write: AttributeWrite | null;
  dra: DraMapping | null;
  /**
   * Read-only register-backed attribute whose register is RO with a `source`: the value is set
   * when the device server starts the device and cannot change while a driver is bound, so
   * the driver reads it once at probe. RO with only a `reset` is not enough (a handler may
   * change it, e.g. PASSPHRASE_STATUS), and anything writable stays a live read.
   */
  cachedAtProbe: boolean;
  description: string;
}

export interface PciIdentityModel {
  vendorId: number;
  pfDeviceId: number;
  vfDeviceId: number;
  classCode: number;
  revisionId: number;
  subsystemVendorId: number;
  subsystemId: number;
  sriov: {
    capabilityOffset: number;
    maxTotalVfs: number;
    firstVfOffset: number;
    vfStride: number;
  };
}

export interface DeviceModel {
  specVersion: number;
  /** lower_snake identifier, e.g. "mock_accel"; C prefix is its upper-case form. */
  name: string;
  description: string;
  pci: PciIdentityModel;
  deviceConfig: DeviceConfigModel[];
  bars: BarModel[];
  sysfsClass: string;
  /** Class device (and /dev node) names: `{pf}` is the PF's number, `{vf}` a VF's VF_INDEX. */
  deviceNames: { pf: string; vf: string };
  /** The firmware wordlist the driver loads: file name under /lib/firmware, and its word count. */
  firmware: { file: string; words: number };
  /** In spec order (the order sysfs lists them in docs). */
  attributes: SysfsAttributeModel[];
}
