// vfio-user wire format, as the client side sees it (libvfio-user include/vfio-user.h, QEMU
// docs/interop/vfio-user.rst): constants and struct layouts only, little-endian throughout.
// vfio-user-codec.ts encodes and decodes messages with them; test/vfio-user-wire.test.ts checks
// every one against the installed vfio-user.h and linux/vfio.h. Every message: a 16-byte
// header, then the command's payload.

/** struct vfio_user_header: u16 msg_id; u16 cmd; u32 msg_size (header included); u32 flags; u32 error_no. */
export const HEADER = { MSG_ID: 0, COMMAND: 2, SIZE: 4, FLAGS: 8, ERROR_NO: 12 } as const;
export const HEADER_BYTES = 16;

export const VfioUserCommand = {
  VERSION: 1,
  DMA_MAP: 2,
  DMA_UNMAP: 3,
  DEVICE_GET_INFO: 4,
  DEVICE_GET_REGION_INFO: 5,
  DEVICE_GET_REGION_IO_FDS: 6,
  DEVICE_GET_IRQ_INFO: 7,
  DEVICE_SET_IRQS: 8,
  REGION_READ: 9,
  REGION_WRITE: 10,
  DMA_READ: 11,
  DMA_WRITE: 12,
  DEVICE_RESET: 13,
} as const;

export const COMMAND_NAMES: Record<number, string> = Object.fromEntries(Object.entries(VfioUserCommand).map(([k, v]) => [v, k]));

/** Header flags: bits 0..3 the message type, bit 4 no_reply, bit 5 error. */
export const FLAG_TYPE_MASK = 0xf;
export const FLAG_TYPE_COMMAND = 0;
export const FLAG_TYPE_REPLY = 1;
export const FLAG_NO_REPLY = 1 << 4;
export const FLAG_ERROR = 1 << 5;

/** struct vfio_user_version: u16 major, u16 minor, then the capabilities as NUL-terminated JSON. */
export const VERSION = { MAJOR: 0, MINOR: 2, DATA: 4 } as const;

/** The protocol version this client speaks (libvfio-user LIB_VFIO_USER_MAJOR/MINOR). */
export const CLIENT_VERSION = { major: 0, minor: 1 } as const;

/** struct vfio_user_device_info: u32 argsz, flags, num_regions, num_irqs. */
export const DEVICE_INFO = { ARGSZ: 0, FLAGS: 4, NUM_REGIONS: 8, NUM_IRQS: 12 } as const;
export const DEVICE_INFO_BYTES = 16;
/** Its flags (linux/vfio.h VFIO_DEVICE_FLAGS_*). */
export const DEVICE_FLAGS = { RESET: 1 << 0, PCI: 1 << 1 } as const;

/** struct vfio_region_info: u32 argsz, flags, index, cap_offset; u64 size, offset. */
export const REGION_INFO = { ARGSZ: 0, FLAGS: 4, INDEX: 8, CAP_OFFSET: 12, SIZE: 16, OFFSET: 24 } as const;
export const REGION_INFO_BYTES = 32;
/** Its flags (linux/vfio.h VFIO_REGION_INFO_FLAG_*). */
export const REGION_FLAGS = { READ: 1 << 0, WRITE: 1 << 1, MMAP: 1 << 2, CAPS: 1 << 3 } as const;

/** struct vfio_user_region_access: u64 offset; u32 region; u32 count; then the data. */
export const REGION_ACCESS = { OFFSET: 0, REGION: 8, COUNT: 12 } as const;
export const REGION_ACCESS_BYTES = 16;

/** VFIO PCI region indices (linux/vfio.h VFIO_PCI_*_REGION_INDEX). */
export const PCI_REGION = { BAR0: 0, BAR1: 1, BAR2: 2, BAR3: 3, BAR4: 4, BAR5: 5, ROM: 6, CONFIG: 7, VGA: 8 } as const;
export const PCI_REGION_NAMES = ["BAR0", "BAR1", "BAR2", "BAR3", "BAR4", "BAR5", "ROM", "CONFIG", "VGA"] as const;
/** libvfio-user's migration region follows the PCI ones (VFU_PCI_DEV_MIGR_REGION_IDX). */
export const MIGRATION_REGION = 9;

export function regionName(index: number): string {
  return PCI_REGION_NAMES[index] ?? (index === MIGRATION_REGION ? "MIGRATION" : `region ${index}`);
}
