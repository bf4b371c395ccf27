// Pure framing and validation of the proxy protocol: bytes in, messages or one error out.
// No I/O and no state beyond the arguments, so it can be fuzzed with any byte string.
//
// What is refused (the connection is then closed by its owner):
//   - an unknown command, or RET (only the device sends RET);
//   - a declared payload size larger than QEMU's union (oversized) or not the size the
//     command carries;
//   - field values QEMU never sends: config length other than 1, 2, 4; BAR access size
//     other than 1, 2, 4, 8.
// Addresses are not judged here: whether they hit the device depends on its BAR base.
import {
  CMD_NAMES,
  HEADER_BYTES,
  MAX_PAYLOAD_BYTES,
  PAYLOAD_BYTES_BY_CMD,
  type CmdName,
  type ProxyMessage,
} from "./wire.ts";

export interface ProtocolError {
  /** Byte offset, in the buffer given to `parseMessages`, of the message that is wrong. */
  readonly offsetBytes: number;
  /** Command number from the header (may be out of range). */
  readonly cmd: number;
  /** One line naming the field and what was wrong with it. */
  readonly reason: string;
}

export interface ParseResult {
  /** Every complete, valid message before the first error, in order. */
  readonly messages: ProxyMessage[];
  /** Bytes taken by `messages`; the caller keeps `buffer.subarray(consumed)` for later. */
  readonly consumed: number;
  /** The first invalid message, if any; nothing after it is parsed. */
  readonly error: ProtocolError | null;
}

const CONFIG_LENGTHS = new Set([1, 2, 4]);
const BAR_SIZES = new Set([1, 2, 4, 8]);

/** Parses as many whole messages as `buffer` holds. A trailing partial message is left unconsumed. */
export function parseMessages(buffer: Uint8Array): ParseResult {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const messages: ProxyMessage[] = [];
  let at = 0;
  while (buffer.length - at >= HEADER_BYTES) {
    const cmd = view.getInt32(at, true);
    const size = view.getBigUint64(at + 8, true);
    const fail = (reason: string): ParseResult => ({ messages, consumed: at, error: { offsetBytes: at, cmd, reason } });
    const name: CmdName | undefined = cmd >= 0 && cmd < CMD_NAMES.length ? CMD_NAMES[cmd] : undefined;
    if (name === undefined) return fail(`header.cmd: unknown command ${cmd}`);
    const expected = PAYLOAD_BYTES_BY_CMD[name];
    if (expected === null) return fail(`header.cmd: ${name} (${cmd}) is a reply, never sent to a device`);
    if (size > BigInt(MAX_PAYLOAD_BYTES)) return fail(`header.size: ${size} bytes is over the ${MAX_PAYLOAD_BYTES}-byte maximum (oversized ${name})`);
    if (size !== BigInt(expected)) return fail(`header.size: ${name} carries ${expected} bytes, header says ${size}`);
    if (buffer.length - at < HEADER_BYTES + expected) break; // wait for the rest
    const p = at + HEADER_BYTES;
    let msg: ProxyMessage;
    switch (name) {
      case "PCI_CFGWRITE":
      case "PCI_CFGREAD": {
        const addr = view.getUint32(p, true);
        const val = view.getUint32(p + 4, true);
        const len = view.getInt32(p + 8, true);
        if (!CONFIG_LENGTHS.has(len)) return fail(`${name}.len: ${len}, expected 1, 2 or 4`);
        const l = len as 1 | 2 | 4;
        msg = name === "PCI_CFGWRITE" ? { cmd: name, addr, val, len: l } : { cmd: name, addr, len: l };
        break;
      }
      case "BAR_WRITE":
      case "BAR_READ": {
        const addr = view.getBigUint64(p, true);
        const val = view.getBigUint64(p + 8, true);
        const accessSize = view.getUint32(p + 16, true);
        const memory = view.getUint8(p + 20) !== 0;
        if (!BAR_SIZES.has(accessSize)) return fail(`${name}.size: ${accessSize}, expected 1, 2, 4 or 8`);
        const s = accessSize as 1 | 2 | 4 | 8;
        msg = name === "BAR_WRITE" ? { cmd: name, addr, val, size: s, memory } : { cmd: name, addr, size: s, memory };
        break;
      }
      case "SYNC_SYSMEM":
      case "SET_IRQFD":
      case "DEVICE_RESET":
        msg = { cmd: name };
        break;
      default:
        return fail(`header.cmd: ${name} is not a request`);
    }
    messages.push(msg);
    at = p + expected;
  }
  return { messages, consumed: at, error: null };
}
