// vfio-user message codecs: the bytes of each message the client sends and the values in each
// reply it reads, laid out by vfio-user-protocol.ts. No I/O here: vfio-user-connection.ts frames
// and sends, VfioUserClient puts the two together, and tests build raw messages from the same
// functions.
import { constants as osConstants } from "node:os";
import {
  COMMAND_NAMES,
  DEVICE_FLAGS,
  DEVICE_INFO,
  DEVICE_INFO_BYTES,
  FLAG_TYPE_COMMAND,
  HEADER,
  HEADER_BYTES,
  PCI_REGION,
  REGION_ACCESS,
  REGION_ACCESS_BYTES,
  REGION_FLAGS,
  REGION_INFO,
  REGION_INFO_BYTES,
  CLIENT_VERSION,
  VERSION,
  VfioUserCommand,
} from "./vfio-user-protocol.ts";

export interface MessageHeader {
  msgId: number;
  command: number;
  /** The whole message's size, header included. */
  size: number;
  flags: number;
  errorNo: number;
}

export interface VersionInfo {
  major: number;
  minor: number;
  /** The server's JSON capabilities, parsed ({} when it sent none). */
  capabilities: Record<string, unknown>;
}

export interface DeviceInfo {
  flags: number;
  numRegions: number;
  numIrqs: number;
  /** flags has VFIO_DEVICE_FLAGS_PCI. */
  pci: boolean;
  /** flags has VFIO_DEVICE_FLAGS_RESET. */
  reset: boolean;
}

export interface RegionInfo {
  index: number;
  flags: number;
  sizeBytes: number;
  /** Offset for mmap (meaningful with the MMAP flag). */
  offset: bigint;
  /** argsz the server needs to describe the region with its capability chain. */
  argsz: number;
  capOffset: number;
  readable: boolean;
  writable: boolean;
  mmappable: boolean;
}

const errnoNames: Record<number, string> = Object.fromEntries(Object.entries(osConstants.errno).map(([name, num]) => [num, name]));

/** The server answered a request with an error reply. */
export class VfioUserError extends Error {
  constructor(
    readonly command: number,
    readonly errno: number,
  ) {
    super(`vfio-user ${commandName(command)} failed: ${errnoNames[errno] ?? "errno"} (${errno})`);
    this.name = "VfioUserError";
  }
}

export function commandName(command: number): string {
  return COMMAND_NAMES[command] ?? `command ${command}`;
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** A command's header at the start of `v`; the connection stamps the message id when it sends. */
export function writeCommandHeader(v: DataView, command: number, size: number, msgId = 0): void {
  v.setUint16(HEADER.MSG_ID, msgId, true);
  v.setUint16(HEADER.COMMAND, command, true);
  v.setUint32(HEADER.SIZE, size, true);
  v.setUint32(HEADER.FLAGS, FLAG_TYPE_COMMAND, true);
  v.setUint32(HEADER.ERROR_NO, 0, true);
}

/** A whole command: header, then `payload`. */
export function encodeCommand(command: number, payload: Uint8Array, msgId = 0): Uint8Array {
  const msg = new Uint8Array(HEADER_BYTES + payload.length);
  writeCommandHeader(view(msg), command, msg.length, msgId);
  msg.set(payload, HEADER_BYTES);
  return msg;
}

/** Set the message id of an encoded message. */
export function stampMessageId(msg: Uint8Array, msgId: number): void {
  msg[HEADER.MSG_ID] = msgId & 0xff;
  msg[HEADER.MSG_ID + 1] = (msgId >>> 8) & 0xff;
}

/** The u32 at `at` of a byte stream, without a DataView (the framing hot path). */
function u32At(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

/** The size field of the header starting at `at` (at least HEADER_BYTES must be there). */
export function messageSize(bytes: Uint8Array, at = 0): number {
  return u32At(bytes, at + HEADER.SIZE);
}

// One field at a time, so the connection reads a reply's header without allocating.
export const messageId = (msg: Uint8Array): number => msg[HEADER.MSG_ID]! | (msg[HEADER.MSG_ID + 1]! << 8);
export const messageCommand = (msg: Uint8Array): number => msg[HEADER.COMMAND]! | (msg[HEADER.COMMAND + 1]! << 8);
export const messageFlags = (msg: Uint8Array): number => u32At(msg, HEADER.FLAGS);
export const messageErrorNo = (msg: Uint8Array): number => u32At(msg, HEADER.ERROR_NO);

export function decodeHeader(msg: Uint8Array): MessageHeader {
  return { msgId: messageId(msg), command: messageCommand(msg), size: messageSize(msg), flags: messageFlags(msg), errorNo: messageErrorNo(msg) };
}

/** VERSION's payload: the version, then the capabilities as NUL-terminated JSON. */
export function encodeVersionPayload(capabilities: Record<string, unknown>, version: { major: number; minor: number } = CLIENT_VERSION): Uint8Array {
  const text = new TextEncoder().encode(`${JSON.stringify({ capabilities })}\0`);
  const payload = new Uint8Array(VERSION.DATA + text.length);
  const v = view(payload);
  v.setUint16(VERSION.MAJOR, version.major, true);
  v.setUint16(VERSION.MINOR, version.minor, true);
  payload.set(text, VERSION.DATA);
  return payload;
}

/**
 * A whole VERSION command (header + payload), for tests and tools that speak to a server
 * byte by byte (silent, half-finished or hostile clients) rather than through VfioUserClient.
 */
export function encodeVersionMessage(options: { msgId?: number; major?: number; minor?: number; capabilities?: Record<string, unknown> } = {}): Uint8Array {
  const payload = encodeVersionPayload(options.capabilities ?? { max_msg_fds: 8 }, { major: options.major ?? CLIENT_VERSION.major, minor: options.minor ?? CLIENT_VERSION.minor });
  return encodeCommand(VfioUserCommand.VERSION, payload, options.msgId ?? 1);
}

/** The server's VERSION reply: its version and capabilities. */
export function decodeVersionReply(reply: Uint8Array): VersionInfo {
  if (reply.length < VERSION.DATA) throw new Error(`vfio-user VERSION reply too short (${reply.length} bytes)`);
  const v = view(reply);
  let capabilities: Record<string, unknown> = {};
  if (reply.length > VERSION.DATA) {
    const end = reply.indexOf(0, VERSION.DATA);
    const body = new TextDecoder().decode(reply.subarray(VERSION.DATA, end < 0 ? reply.length : end));
    try {
      capabilities = (JSON.parse(body) as { capabilities?: Record<string, unknown> }).capabilities ?? {};
    } catch {
      throw new Error(`vfio-user VERSION reply carries invalid JSON: ${body.slice(0, 80)}`);
    }
  }
  return { major: v.getUint16(VERSION.MAJOR, true), minor: v.getUint16(VERSION.MINOR, true), capabilities };
}

export function encodeDeviceInfoRequest(): Uint8Array {
  const payload = new Uint8Array(DEVICE_INFO_BYTES);
  view(payload).setUint32(DEVICE_INFO.ARGSZ, DEVICE_INFO_BYTES, true);
  return payload;
}

export function decodeDeviceInfo(reply: Uint8Array): DeviceInfo {
  if (reply.length < DEVICE_INFO_BYTES) throw new Error(`vfio-user DEVICE_GET_INFO reply too short (${reply.length} bytes)`);
  const v = view(reply);
  const flags = v.getUint32(DEVICE_INFO.FLAGS, true);
  return {
    flags,
    numRegions: v.getUint32(DEVICE_INFO.NUM_REGIONS, true),
    numIrqs: v.getUint32(DEVICE_INFO.NUM_IRQS, true),
    pci: (flags & DEVICE_FLAGS.PCI) !== 0,
    reset: (flags & DEVICE_FLAGS.RESET) !== 0,
  };
}

export function encodeRegionInfoRequest(index: number): Uint8Array {
  const payload = new Uint8Array(REGION_INFO_BYTES);
  const v = view(payload);
  v.setUint32(REGION_INFO.ARGSZ, REGION_INFO_BYTES, true);
  v.setUint32(REGION_INFO.INDEX, index, true);
  return payload;
}

export function decodeRegionInfo(reply: Uint8Array): RegionInfo {
  if (reply.length < REGION_INFO_BYTES) throw new Error(`vfio-user DEVICE_GET_REGION_INFO reply too short (${reply.length} bytes)`);
  const v = view(reply);
  const flags = v.getUint32(REGION_INFO.FLAGS, true);
  return {
    index: v.getUint32(REGION_INFO.INDEX, true),
    flags,
    argsz: v.getUint32(REGION_INFO.ARGSZ, true),
    capOffset: v.getUint32(REGION_INFO.CAP_OFFSET, true),
    sizeBytes: Number(v.getBigUint64(REGION_INFO.SIZE, true)),
    offset: v.getBigUint64(REGION_INFO.OFFSET, true),
    readable: (flags & REGION_FLAGS.READ) !== 0,
    writable: (flags & REGION_FLAGS.WRITE) !== 0,
    mmappable: (flags & REGION_FLAGS.MMAP) !== 0,
  };
}

/**
 * A REGION_READ or REGION_WRITE's access header at `at` (after the message header). The offset
 * is a number, stored as u64 without allocating a bigint: the read hot path.
 */
export function writeRegionAccess(v: DataView, at: number, region: number, offset: number, count: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`offset ${offset} is not a non-negative integer`);
  v.setUint32(at + REGION_ACCESS.OFFSET, offset >>> 0, true);
  v.setUint32(at + REGION_ACCESS.OFFSET + 4, Math.floor(offset / 0x1_0000_0000), true);
  v.setUint32(at + REGION_ACCESS.REGION, region, true);
  v.setUint32(at + REGION_ACCESS.COUNT, count, true);
}

/** The data of a REGION_READ reply, checked to hold the `count` bytes asked for. */
export function regionReadData(reply: Uint8Array, region: number, offset: number, count: number): Uint8Array {
  if (reply.length < REGION_ACCESS_BYTES + count) {
    const where = region === PCI_REGION.CONFIG ? "config" : `region ${region}`;
    throw new Error(`vfio-user REGION_READ of ${count} bytes at ${where}+0x${offset.toString(16)}: reply carries ${reply.length - REGION_ACCESS_BYTES} bytes`);
  }
  return reply.subarray(REGION_ACCESS_BYTES, REGION_ACCESS_BYTES + count);
}
