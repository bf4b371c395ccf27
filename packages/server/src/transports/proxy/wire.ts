// The QEMU multi-process (`x-pci-proxy-dev`) wire format, as QEMU 6.0 … 9.x speaks it
// (hw/remote/mpqemu-link.{c,h}, hw/remote/proxy.c). x86-64, native (little) endianness.
//
//   header  { int32 cmd; 4 pad; uint64 size }            16 bytes
//   payload `size` bytes, at most sizeof(union data) = sizeof(SyncSysmemMsg) = 192
//
// Only SYNC_SYSMEM and SET_IRQFD carry file descriptors (SCM_RIGHTS on the header bytes).

export const HEADER_BYTES = 16;

/** QEMU's REMOTE_MAX_FDS: SyncSysmemMsg holds 8 gpas, 8 sizes, 8 offsets. */
export const REMOTE_MAX_FDS = 8;

/** sizeof(SyncSysmemMsg): the largest member of MPQemuMsg's data union. */
export const MAX_PAYLOAD_BYTES = REMOTE_MAX_FDS * 8 * 3;

/** sizeof(PciConfDataMsg) = { u32 addr; u32 val; i32 len }. */
export const PCI_CONF_PAYLOAD_BYTES = 12;

/** sizeof(BarAccessMsg) = { u64 addr; u64 val; u32 size; u8 memory; 3 pad }. */
export const BAR_ACCESS_PAYLOAD_BYTES = 24;

/** A reply: header with cmd RET and size 8, then the u64 value. */
export const REPLY_BYTES = HEADER_BYTES + 8;

/** Config space the proxy device shows: QEMU makes it a conventional PCI device. */
export const PROXY_CONFIG_SPACE_BYTES = 256;

export const Cmd = {
  SYNC_SYSMEM: 0,
  RET: 1,
  PCI_CFGWRITE: 2,
  PCI_CFGREAD: 3,
  BAR_WRITE: 4,
  BAR_READ: 5,
  SET_IRQFD: 6,
  DEVICE_RESET: 7,
} as const;
export type CmdName = keyof typeof Cmd;

export const CMD_NAMES: readonly CmdName[] = Object.keys(Cmd) as CmdName[];

/** Payload size each command must carry (QEMU's mpqemu_msg_valid, plus RESET's 0). */
export const PAYLOAD_BYTES_BY_CMD: { readonly [K in CmdName]: number | null } = {
  SYNC_SYSMEM: MAX_PAYLOAD_BYTES,
  RET: null, // only ever sent by the device; a device receiving one is a protocol error
  PCI_CFGWRITE: PCI_CONF_PAYLOAD_BYTES,
  PCI_CFGREAD: PCI_CONF_PAYLOAD_BYTES,
  BAR_WRITE: BAR_ACCESS_PAYLOAD_BYTES,
  BAR_READ: BAR_ACCESS_PAYLOAD_BYTES,
  SET_IRQFD: 0,
  DEVICE_RESET: 0,
};

/** Messages QEMU sends to the device process. */
export type ProxyMessage =
  | { readonly cmd: "SYNC_SYSMEM" }
  | { readonly cmd: "PCI_CFGWRITE"; readonly addr: number; readonly val: number; readonly len: 1 | 2 | 4 }
  | { readonly cmd: "PCI_CFGREAD"; readonly addr: number; readonly len: 1 | 2 | 4 }
  | { readonly cmd: "BAR_WRITE"; readonly addr: bigint; readonly val: bigint; readonly size: 1 | 2 | 4 | 8; readonly memory: boolean }
  | { readonly cmd: "BAR_READ"; readonly addr: bigint; readonly size: 1 | 2 | 4 | 8; readonly memory: boolean }
  | { readonly cmd: "SET_IRQFD" }
  | { readonly cmd: "DEVICE_RESET" };

/** Whether QEMU waits for a RET after sending this command. */
export function wantsReply(msg: ProxyMessage): boolean {
  return msg.cmd !== "SYNC_SYSMEM" && msg.cmd !== "SET_IRQFD";
}

/** The 24-byte RET message carrying `value`. */
export function encodeReply(value: bigint): Uint8Array {
  const out = new Uint8Array(REPLY_BYTES);
  const view = new DataView(out.buffer);
  view.setInt32(0, Cmd.RET, true);
  view.setBigUint64(8, 8n, true);
  view.setBigUint64(16, BigInt.asUintN(64, value), true);
  return out;
}

/** Encodes a message the way QEMU's proxy does (for clients: tests, benches, `probe`). */
export function encodeMessage(msg: ProxyMessage): Uint8Array {
  const size = PAYLOAD_BYTES_BY_CMD[msg.cmd] ?? 0;
  const out = new Uint8Array(HEADER_BYTES + size);
  const view = new DataView(out.buffer);
  view.setInt32(0, Cmd[msg.cmd], true);
  view.setBigUint64(8, BigInt(size), true);
  const p = HEADER_BYTES;
  switch (msg.cmd) {
    case "PCI_CFGWRITE":
    case "PCI_CFGREAD":
      view.setUint32(p, msg.addr, true);
      view.setUint32(p + 4, msg.cmd === "PCI_CFGWRITE" ? msg.val >>> 0 : 0, true);
      view.setInt32(p + 8, msg.len, true);
      break;
    case "BAR_WRITE":
    case "BAR_READ":
      view.setBigUint64(p, msg.addr, true);
      view.setBigUint64(p + 8, msg.cmd === "BAR_WRITE" ? BigInt.asUintN(64, msg.val) : 0n, true);
      view.setUint32(p + 16, msg.size, true);
      view.setUint8(p + 20, msg.memory ? 1 : 0);
      break;
    default:
      break;
  }
  return out;
}

/** Reads the value of a RET message (a client's side); throws when it is not one. */
export function decodeReply(bytes: Uint8Array): bigint {
  if (bytes.length < REPLY_BYTES) throw new Error(`proxy reply: ${bytes.length} bytes, expected ${REPLY_BYTES}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, REPLY_BYTES);
  const cmd = view.getInt32(0, true);
  const size = view.getBigUint64(8, true);
  if (cmd !== Cmd.RET || size !== 8n) throw new Error(`proxy reply: cmd ${cmd} size ${size}, expected RET (1) size 8`);
  return view.getBigUint64(16, true);
}
