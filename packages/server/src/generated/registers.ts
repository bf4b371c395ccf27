// Generated from spec/registers.yaml by packages/codegen (src/emit/emit-server-registers.ts).
// Do not edit: change the spec and run `bun run codegen`.

export const DEVICE_NAME = "mock_accel";
export const PCI = {
  vendorId: 0x1de5,
  pfDeviceId: 0x0001,
  vfDeviceId: 0x0002,
  classCode: 0x120000,
  revisionId: 0x01,
  subsystemVendorId: 0x0000,
  subsystemId: 0x0000,
  sriov: { capabilityOffset: 0x100, maxTotalVfs: 7, firstVfOffset: 1, vfStride: 1 },
} as const;
export const BAR0_SIZE_BYTES = 4096;
export type Access = "RO" | "RW" | "WO";
/** Every register, in offset order. */
export type RegisterName =
  | "DEVICE_ID"
  | "REVISION"
  | "UUID"
  | "MEMORY_SIZE"
  | "CAPABILITIES"
  | "STATUS"
  | "FW_VERSION"
  | "SRIOV_TOTAL_VFS"
  | "SRIOV_NUM_VFS"
  | "VF_INDEX"
  | "PASSPHRASE_CMD"
  | "PASSPHRASE_LENGTH"
  | "PASSPHRASE_STATUS"
  | "PASSPHRASE_COUNT"
  | "PASSPHRASE_BUFFER";
export type DeviceConfigName =
  | "uuid"
  | "memory_size"
  | "capabilities"
  | "fw_version"
  | "total_vfs"
  | "vf_index";

export interface FieldDef {
  readonly name: string;
  readonly lsb: number;
  readonly widthBits: number;
  /** Mask in register position. */
  readonly mask: bigint;
}

export interface EnumValueDef {
  readonly name: string;
  readonly value: bigint;
}

export interface RegisterDef {
  readonly name: RegisterName;
  readonly offsetBytes: number;
  readonly sizeBytes: number;
  readonly access: Access;
  /** null when `source` supplies the value (or a command register stores nothing). */
  readonly resetValue: bigint | null;
  readonly source: DeviceConfigName | null;
  readonly behaviour: "command" | "notify" | null;
  /** Writes outside are refused; a register name as max means that register's current value. */
  readonly writeRange: { readonly min: bigint; readonly max: bigint | RegisterName } | null;
  readonly fields: readonly FieldDef[];
  readonly enumValues: readonly EnumValueDef[];
}

export const REG: { readonly [K in RegisterName]: RegisterDef } = {
  /** Magic number identifying a mock-accel device. */
  DEVICE_ID: {
    name: "DEVICE_ID",
    offsetBytes: 0x000,
    sizeBytes: 4,
    access: "RO",
    resetValue: 0x4b434f4dn,
    source: null,
    behaviour: null,
    writeRange: null,
    fields: [],
    enumValues: [],
  },
  /** Register-map revision (major in bits 31:16). */
  REVISION: {
    name: "REVISION",
    offsetBytes: 0x004,
    sizeBytes: 4,
    access: "RO",
    resetValue: 0x10000n,
    source: null,
    behaviour: null,
    writeRange: null,
    fields: [],
    enumValues: [],
  },
  /** Device UUID as 16 raw bytes (byte 0 at offset 0x008). */
  UUID: {
    name: "UUID",
    offsetBytes: 0x008,
    sizeBytes: 16,
    access: "RO",
    resetValue: null,
    source: "uuid",
    behaviour: null,
    writeRange: null,
    fields: [],
    enumValues: [],
  },
  /** Device memory in bytes. */
  MEMORY_SIZE: {
    name: "MEMORY_SIZE",
    offsetBytes: 0x020,
    sizeBytes: 8,
    access: "RO",
    resetValue: null,
    source: "memory_size",
    behaviour: null,
    writeRange: null,
    fields: [],
    enumValues: [],
  },
  /** Feature flags. */
  CAPABILITIES: {
    name: "CAPABILITIES",
    offsetBytes: 0x028,
    sizeBytes: 4,
    access: "RO",
    resetValue: null,
    source: "capabilities",
    behaviour: null,
    writeRange: null,
    fields: [
      { name: "COMPUTE", lsb: 0, widthBits: 1, mask: 0x1n },
      { name: "ENCRYPTION", lsb: 1, widthBits: 1, mask: 0x2n },
      { name: "COMPRESSION", lsb: 2, widthBits: 1, mask: 0x4n },
      { name: "P2P_DMA", lsb: 3, widthBits: 1, mask: 0x8n },
    ],
    enumValues: [],
  },
  /** Allocation state written by DRA node agents. */
  STATUS: {
    name: "STATUS",
    offsetBytes: 0x02c,
    sizeBytes: 4,
    access: "RW",
    resetValue: 0x0n,
    source: null,
    behaviour: "notify",
    writeRange: null,
    fields: [{ name: "ALLOCATED", lsb: 0, widthBits: 1, mask: 0x1n }],
    enumValues: [],
  },
  /** Firmware version, shown as "M.m.p". */
  FW_VERSION: {
    name: "FW_VERSION",
    offsetBytes: 0x030,
    sizeBytes: 4,
    access: "RO",
    resetValue: null,
    source: "fw_version",
    behaviour: null,
    writeRange: null,
    fields: [
      { name: "MAJOR", lsb: 16, widthBits: 8, mask: 0xff0000n },
      { name: "MINOR", lsb: 8, widthBits: 8, mask: 0xff00n },
      { name: "PATCH", lsb: 0, widthBits: 8, mask: 0xffn },
    ],
    enumValues: [],
  },
  /** Virtual functions this PF carries; 0 on a VF. */
  SRIOV_TOTAL_VFS: {
    name: "SRIOV_TOTAL_VFS",
    offsetBytes: 0x034,
    sizeBytes: 4,
    access: "RO",
    resetValue: null,
    source: "total_vfs",
    behaviour: null,
    writeRange: null,
    fields: [],
    enumValues: [],
  },
  /** Virtual functions the guest driver has enabled. */
  SRIOV_NUM_VFS: {
    name: "SRIOV_NUM_VFS",
    offsetBytes: 0x038,
    sizeBytes: 4,
    access: "RW",
    resetValue: 0x0n,
    source: null,
    behaviour: "notify",
    writeRange: { min: 0n, max: "SRIOV_TOTAL_VFS" },
    fields: [],
    enumValues: [],
  },
  /** A VF's index 0..N-1; 0xFFFFFFFF on a PF, and on a VF left for the guest driver to number by its PCI function. */
  VF_INDEX: {
    name: "VF_INDEX",
    offsetBytes: 0x03c,
    sizeBytes: 4,
    access: "RO",
    resetValue: null,
    source: "vf_index",
    behaviour: null,
    writeRange: null,
    fields: [],
    enumValues: [],
  },
  /** Passphrase generator command. */
  PASSPHRASE_CMD: {
    name: "PASSPHRASE_CMD",
    offsetBytes: 0x100,
    sizeBytes: 4,
    access: "WO",
    resetValue: null,
    source: null,
    behaviour: "command",
    writeRange: null,
    fields: [],
    enumValues: [{ name: "GENERATE", value: 1n }],
  },
  /** Words in the next passphrase. */
  PASSPHRASE_LENGTH: {
    name: "PASSPHRASE_LENGTH",
    offsetBytes: 0x104,
    sizeBytes: 4,
    access: "RW",
    resetValue: 0x6n,
    source: null,
    behaviour: null,
    writeRange: { min: 4n, max: 12n },
    fields: [],
    enumValues: [],
  },
  /** Passphrase generator state. */
  PASSPHRASE_STATUS: {
    name: "PASSPHRASE_STATUS",
    offsetBytes: 0x108,
    sizeBytes: 4,
    access: "RO",
    resetValue: 0x0n,
    source: null,
    behaviour: null,
    writeRange: null,
    fields: [],
    enumValues: [
      { name: "IDLE", value: 0n },
      { name: "BUSY", value: 1n },
      { name: "READY", value: 2n },
      { name: "ERROR", value: 3n },
    ],
  },
  /** Words in the last passphrase. */
  PASSPHRASE_COUNT: {
    name: "PASSPHRASE_COUNT",
    offsetBytes: 0x10c,
    sizeBytes: 4,
    access: "RO",
    resetValue: 0x0n,
    source: null,
    behaviour: null,
    writeRange: null,
    fields: [],
    enumValues: [],
  },
  /** Last passphrase, NUL-terminated, words separated by single spaces. */
  PASSPHRASE_BUFFER: {
    name: "PASSPHRASE_BUFFER",
    offsetBytes: 0x200,
    sizeBytes: 256,
    access: "RO",
    resetValue: 0x0n,
    source: null,
    behaviour: null,
    writeRange: null,
    fields: [],
    enumValues: [],
  },
};
/** Sorted by offset. */
export const REGISTERS: readonly RegisterDef[] = [
  REG.DEVICE_ID,
  REG.REVISION,
  REG.UUID,
  REG.MEMORY_SIZE,
  REG.CAPABILITIES,
  REG.STATUS,
  REG.FW_VERSION,
  REG.SRIOV_TOTAL_VFS,
  REG.SRIOV_NUM_VFS,
  REG.VF_INDEX,
  REG.PASSPHRASE_CMD,
  REG.PASSPHRASE_LENGTH,
  REG.PASSPHRASE_STATUS,
  REG.PASSPHRASE_COUNT,
  REG.PASSPHRASE_BUFFER,
];
export const PASSPHRASE_CMD_VALUES = { GENERATE: 1n } as const;
export const PASSPHRASE_STATUS_VALUES = { IDLE: 0n, BUSY: 1n, READY: 2n, ERROR: 3n } as const;
export const CAPABILITIES_FIELDS = {
  COMPUTE: { lsb: 0, widthBits: 1, mask: 0x1n },
  ENCRYPTION: { lsb: 1, widthBits: 1, mask: 0x2n },
  COMPRESSION: { lsb: 2, widthBits: 1, mask: 0x4n },
  P2P_DMA: { lsb: 3, widthBits: 1, mask: 0x8n },
} as const;
export const STATUS_FIELDS = {
  ALLOCATED: { lsb: 0, widthBits: 1, mask: 0x1n },
} as const;
export const FW_VERSION_FIELDS = {
  MAJOR: { lsb: 16, widthBits: 8, mask: 0xff0000n },
  MINOR: { lsb: 8, widthBits: 8, mask: 0xff00n },
  PATCH: { lsb: 0, widthBits: 8, mask: 0xffn },
} as const;

/** Per-device values a server starts a device with (spec: device_config). */
export interface DeviceConfig {
  /** Device UUID; the server derives one from a label when not given one. */
  uuid: Uint8Array;
  /** Device memory in bytes. */
  memory_size: bigint;
  /** Capability bits (see the CAPABILITIES register's fields). */
  capabilities: bigint;
  /** Firmware version 0x00MMmmpp. */
  fw_version: bigint;
  /** Virtual functions a PF carries (0..7); always 0 on a VF. */
  total_vfs: bigint;
  /** A VF's index 0..N-1; 0xFFFFFFFF on a PF, and on a VF whose guest driver takes the index from its PCI function (function - 1). */
  vf_index: bigint;
}

export interface DeviceConfigDef {
  readonly name: DeviceConfigName;
  readonly type: "uuid" | "u32" | "u64";
  readonly defaultPf: bigint | null;
  readonly defaultVf: bigint | null;
  readonly requiredPf: boolean;
  readonly requiredVf: boolean;
  readonly max: bigint | null;
}

export const DEVICE_CONFIG: readonly DeviceConfigDef[] = [
  { name: "uuid", type: "uuid", defaultPf: null, defaultVf: null, requiredPf: true, requiredVf: true, max: null },
  { name: "memory_size", type: "u64", defaultPf: 17179869184n, defaultVf: 2147483648n, requiredPf: false, requiredVf: false, max: null },
  { name: "capabilities", type: "u32", defaultPf: 1n, defaultVf: 1n, requiredPf: false, requiredVf: false, max: null },
  { name: "fw_version", type: "u32", defaultPf: 66048n, defaultVf: 66048n, requiredPf: false, requiredVf: false, max: null },
  { name: "total_vfs", type: "u32", defaultPf: 0n, defaultVf: 0n, requiredPf: false, requiredVf: false, max: 7n },
  { name: "vf_index", type: "u32", defaultPf: 4294967295n, defaultVf: 4294967295n, requiredPf: false, requiredVf: false, max: null },
];
/** behaviour: command (WO, the value is not stored). */
export type CommandHandler = (value: bigint) => void;
/** behaviour: notify (the value is stored, then the handler is called). */
export type NotifyHandler = (value: bigint, previous: bigint) => void;

/**
 * One handler per register with a behaviour. Adding `behaviour:` to the spec adds a member here,
 * and the server stops type-checking until it is implemented.
 */
export interface RegisterBehaviours {
  STATUS: NotifyHandler;
  SRIOV_NUM_VFS: NotifyHandler;
  PASSPHRASE_CMD: CommandHandler;
}
