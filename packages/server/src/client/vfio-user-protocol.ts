// vfio-user wire format, as the client side sees it (libvfio-user include/vfio-user.h, QEMU
// docs/interop/vfio-user.rst). Every message: a 16-byte little-endian header, then the
// command's payload.
//   u16 msg_id; u16 cmd; u32 msg_size (header included); u32 flags; u32 error_no
//   flags: bits 0..3 type (0 command, 1 reply), bit 4 no_reply, bit 5 error

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

export const FLAG_TYPE_MASK = 0xf;
export const FLAG_TYPE_COMMAND = 0;
export const FLAG_TYPE_REPLY = 1;
export const FLAG_NO_REPLY = 1 << 4;
export const FLAG_ERROR = 1 << 5;

/** The protocol version this client speaks (libvfio-user LIB_VFIO_USER_MAJOR/MINOR). */
export const CLIENT_VERSION = { major: 0, minor: 1 } as const;

/** VERSION's payload: u16 major, u16 minor, then the capabilities as NUL-terminated JSON. */
export function encodeVersionPayload(capabilities: Record<string, unknown>, version: { major: number; minor: number } = CLIENT_VERSION): Uint8Array {
  const text = new TextEncoder().encode(`${JSON.stringify({ capabilities })}\0`);
  const payload = new Uint8Array(4 + text.length);
  const v = new DataView(payload.buffer);
  v.setUint16(0, version.major, true);
  v.setUint16(2, version.minor, true);
  payload.set(text, 4);
  return payload;
}

/**
 * A whole VERSION command (header + payload), for tests and tools that speak to a server
 * byte by byte (silent, half-finished or hostile clients) rather than through VfioUserClient.
 */
export function encodeVersionMessage(options: { msgId?: number; major?: number; minor?: number; capabilities?: Record<string, unknown> } = {}): Uint8Array {
  const payload = encodeVersionPayload(options.capabilities ?? { max_msg_fds: 8 }, { major: options.major ?? CLIENT_VERSION.major, minor: options.minor ?? CLIENT_VERSION.minor });
  const msg = new Uint8Array(HEADER_BYTES + payload.length);
  const v = new DataView(msg.buffer);
  v.setUint16(0, options.msgId ?? 1, true);
  v.setUint16(2, VfioUserCommand.VERSION, true);
  v.setUint32(4, msg.length, true);
  msg.set(payload, HEADER_BYTES);
  return msg;
}

/** struct vfio_device_info (linux/vfio.h) flags. */
export const DEVICE_FLAGS = { RESET: 1 << 0, PCI: 1 << 1 } as const;
export const DEVICE_INFO_BYTES = 16;

/** struct vfio_region_info flags. */
export const REGION_FLAGS = { READ: 1 << 0, WRITE: 1 << 1, MMAP: 1 << 2, CAPS: 1 << 3 } as const;
export const REGION_INFO_BYTES = 32;

/** struct vfio_user_region_access header: u64 offset; u32 region; u32 count; then data. */
export const REGION_ACCESS_BYTES = 16;

/** VFIO PCI region indices (linux/vfio.h VFIO_PCI_*_REGION_INDEX). */
export const PCI_REGION = { BAR0: 0, BAR1: 1, BAR2: 2, BAR3: 3, BAR4: 4, BAR5: 5, ROM: 6, CONFIG: 7, VGA: 8 } as const;
export const PCI_REGION_NAMES = ["BAR0", "BAR1", "BAR2", "BAR3", "BAR4", "BAR5", "ROM", "CONFIG", "VGA"] as const;

export function regionName(index: number): string {
  return PCI_REGION_NAMES[index] ?? (index === 9 ? "MIGRATION" : `region ${index}`);
}
