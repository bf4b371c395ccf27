// One QEMU connection to one device: bytes from the socket are framed by the pure parser,
// each message is answered by the device's ProxyFunction, the replies of one read go out in
// one write. The first protocol error ends the connection (after the replies to the valid
// messages before it); the device itself is untouched and takes the next connection.
import { parseMessages, type ProtocolError } from "./parser.ts";
import type { ProxyFunction } from "./proxy-function.ts";
import { encodeReply, REPLY_BYTES, wantsReply } from "./wire.ts";

/** Replies left unread by a peer before it is judged hostile and dropped. */
const MAX_PENDING_OUTPUT_BYTES = 64 * 1024;
const EMPTY = new Uint8Array(0);

export interface ConnectionSink {
  /** Writes what it can; returns the number of bytes taken (Bun's socket.write). */
  write(bytes: Uint8Array): number;
  /** Closes the connection after what was written so far. */
  end(): void;
}

export type ConnectionOutcome =
  | { kind: "open" }
  | { kind: "protocol-error"; error: ProtocolError }
  | { kind: "overrun"; pendingBytes: number };

export class ProxyConnection {
  private pending: Uint8Array = new Uint8Array(0);
  private unsent: Uint8Array = new Uint8Array(0);
  private closed = false;
  /** Messages answered or accepted on this connection. */
  messages = 0;

  constructor(
    private readonly fn: ProxyFunction,
    private readonly sink: ConnectionSink,
  ) {}

  /** Feeds bytes read from the socket. Returns what became of the connection. */
  receive(chunk: Uint8Array): ConnectionOutcome {
    if (this.closed) return { kind: "open" };
    const buffer = this.pending.length === 0 ? chunk : concat(this.pending, chunk);
    const { messages, consumed, error } = parseMessages(buffer);
    const replies = new Uint8Array(messages.length * REPLY_BYTES);
    let replyBytes = 0;
    for (const msg of messages) {
      const value = this.fn.handle(msg);
      this.messages += 1;
      if (value !== null && wantsReply(msg)) {
        replies.set(encodeReply(value), replyBytes);
        replyBytes += REPLY_BYTES;
      }
    }
    // Copy: `buffer` may be Bun's chunk, which is reused after this callback returns.
    this.pending = consumed === buffer.length ? EMPTY : buffer.slice(consumed);
    if (replyBytes > 0) this.send(replies.subarray(0, replyBytes));
    if (error !== null) {
      this.close();
      return { kind: "protocol-error", error };
    }
    if (this.unsent.length > MAX_PENDING_OUTPUT_BYTES) {
      const pendingBytes = this.unsent.length;
      this.close();
      return { kind: "overrun", pendingBytes };
    }
    return { kind: "open" };
  }

  /** The socket can take more: flush what an earlier write could not. */
  drain(): void {
    if (this.unsent.length === 0 || this.closed) return;
    const rest = this.unsent;
    this.unsent = new Uint8Array(0);
    this.send(rest);
  }

  /** Bytes of a message that had begun but not finished (reported when the peer hangs up). */
  get partialBytes(): number {
    return this.pending.length;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sink.end();
  }

  private send(bytes: Uint8Array): void {
    if (this.unsent.length > 0) {
      this.unsent = concat(this.unsent, bytes);
      return;
    }
    const written = Math.max(0, this.sink.write(bytes));
    if (written < bytes.length) this.unsent = bytes.slice(written);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
