// One vfio-user connection over a UNIX socket: connecting (with a deadline and a readable
// reason when it fails), framing the byte stream into messages, and matching each reply to its
// request. It knows the header and nothing of any payload (vfio-user-codec.ts does). Kept
// allocation-light for the benchmarks: one request in flight (others queue), one deadline-check
// timer per connection instead of one timer per request, a reply that arrives as one chunk
// handed on without a copy.
import type { Socket } from "bun";
import { commandName, messageCommand, messageErrorNo, messageFlags, messageId, messageSize, stampMessageId, VfioUserError } from "./vfio-user-codec.ts";
import { FLAG_ERROR, FLAG_TYPE_MASK, FLAG_TYPE_REPLY, HEADER_BYTES } from "./vfio-user-protocol.ts";

const CONNECT_HINTS: Record<string, string> = {
  ENOENT: "no such socket; is the server running?",
  ECONNREFUSED: "nothing is listening on it",
  EACCES: "permission denied",
  ENOTSOCK: "not a socket",
};

interface Pending {
  msgId: number;
  command: number;
  deadline: number;
  resolve: (payload: Uint8Array) => void;
  reject: (err: Error) => void;
}

export class VfioUserConnection {
  private socket!: Socket<undefined>;
  private pending: Pending | null = null;
  private readonly queue: { request: Pending; msg: Uint8Array }[] = [];
  private nextMsgId = 1;
  private closedError: Error | null = null;
  /** Bytes received but not yet a whole message. */
  private rx = new Uint8Array(4096);
  private rxLength = 0;
  /** Bytes the socket did not take yet (Bun's write is partial under back-pressure). */
  private txBacklog: Uint8Array | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;

  private constructor(
    readonly socketPath: string,
    /** Limit for each request's reply. */
    readonly timeoutMs: number,
  ) {}

  /** Connect within `timeoutMs`; fails with the errno and what it likely means. */
  static async open(socketPath: string, timeoutMs: number): Promise<VfioUserConnection> {
    const connection = new VfioUserConnection(socketPath, timeoutMs);
    const closedByServer = () => connection.onClose(new Error(`vfio-user server at ${socketPath} closed the connection`));
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const connecting = Bun.connect<undefined>({
        unix: socketPath,
        socket: {
          binaryType: "uint8array",
          data: (_s, chunk) => connection.onData(chunk),
          drain: () => connection.onDrain(),
          close: closedByServer,
          error: (_s, err) => connection.onClose(new Error(`vfio-user socket ${socketPath}: ${err.message}`)),
          end: closedByServer,
        },
      });
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          // A connection that completes after we gave up must not stay open.
          connecting.then((late) => late.end(), () => {});
          reject(new Error(`timed out after ${timeoutMs} ms`));
        }, timeoutMs);
      });
      connection.socket = await Promise.race([connecting, timeout]);
    } catch (err) {
      const code = (err as { code?: string }).code;
      const hint = code === undefined ? "" : CONNECT_HINTS[code] ?? "";
      const why = code !== undefined ? `${code}${hint ? ` (${hint})` : ""}` : err instanceof Error ? err.message : String(err);
      throw new Error(`cannot connect to vfio-user socket ${socketPath}: ${why}`);
    } finally {
      clearTimeout(timer);
    }
    connection.timer = setInterval(() => connection.checkDeadline(), Math.max(50, Math.min(1000, timeoutMs / 4)));
    connection.timer.unref?.();
    return connection;
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  /**
   * Send an encoded command (its message id is stamped here) and resolve to the reply's payload;
   * an error reply rejects with VfioUserError. `msg` may be a buffer the caller reuses: a
   * request that has to queue is copied.
   */
  send(msg: Uint8Array): Promise<Uint8Array> {
    if (this.closedError) return Promise.reject(this.closedError);
    const msgId = this.nextMsgId;
    this.nextMsgId = (this.nextMsgId + 1) & 0xffff;
    stampMessageId(msg, msgId);
    const command = messageCommand(msg);
    return new Promise<Uint8Array>((resolve, reject) => {
      const request: Pending = { msgId, command, deadline: 0, resolve, reject };
      // One request on the wire at a time; callers that do not await each other queue up.
      if (this.pending !== null) this.queue.push({ request, msg: msg.slice() });
      else this.transmit(request, msg);
    });
  }

  /** Close the connection; requests in flight or queued fail with `reason`. */
  close(reason: Error): void {
    this.onClose(reason);
    this.socket?.end();
  }

  private transmit(request: Pending, msg: Uint8Array): void {
    request.deadline = performance.now() + this.timeoutMs;
    this.pending = request;
    const written = this.socket.write(msg);
    // Bun keeps no copy of what it did not write: keep the rest until the socket drains.
    if (written < msg.length) this.txBacklog = msg.slice(Math.max(0, written));
  }

  private sendNextQueued(): void {
    const next = this.queue.shift();
    if (next !== undefined) this.transmit(next.request, next.msg);
  }

  private onDrain(): void {
    const backlog = this.txBacklog;
    if (backlog === null) return;
    const written = this.socket.write(backlog);
    this.txBacklog = written < backlog.length ? backlog.slice(Math.max(0, written)) : null;
  }

  private onData(chunk: Uint8Array): void {
    // Fast path: the chunk is exactly one whole message (the common case for replies).
    if (this.rxLength === 0 && chunk.length >= HEADER_BYTES && messageSize(chunk) === chunk.length) {
      this.onMessage(chunk);
      return;
    }
    if (this.rxLength + chunk.length > this.rx.length) {
      const grown = new Uint8Array(Math.max(this.rx.length * 2, this.rxLength + chunk.length));
      grown.set(this.rx.subarray(0, this.rxLength));
      this.rx = grown;
    }
    this.rx.set(chunk, this.rxLength);
    this.rxLength += chunk.length;
    let start = 0;
    while (this.rxLength - start >= HEADER_BYTES) {
      const size = messageSize(this.rx, start);
      if (size < HEADER_BYTES) {
        this.close(new Error(`vfio-user server at ${this.socketPath} sent a message of size ${size} (< ${HEADER_BYTES})`));
        return;
      }
      if (this.rxLength - start < size) break;
      this.onMessage(this.rx.slice(start, start + size));
      start += size;
    }
    this.rx.copyWithin(0, start, this.rxLength);
    this.rxLength -= start;
  }

  private onMessage(msg: Uint8Array): void {
    const msgId = messageId(msg);
    const command = messageCommand(msg);
    const flags = messageFlags(msg);
    const p = this.pending;
    if ((flags & FLAG_TYPE_MASK) !== FLAG_TYPE_REPLY || p === null || p.msgId !== msgId) {
      this.close(new Error(`vfio-user server at ${this.socketPath} sent an unexpected message (cmd ${command}, id ${msgId}, flags 0x${flags.toString(16)})`));
      return;
    }
    this.pending = null;
    if (this.queue.length > 0) this.sendNextQueued();
    if (flags & FLAG_ERROR) {
      p.reject(new VfioUserError(p.command, messageErrorNo(msg)));
      return;
    }
    if (command !== p.command) {
      p.reject(new Error(`vfio-user reply to ${commandName(p.command)} carries command ${command}`));
      return;
    }
    p.resolve(msg.subarray(HEADER_BYTES));
  }

  private checkDeadline(): void {
    const p = this.pending;
    if (p !== null && performance.now() > p.deadline) {
      this.close(new Error(`vfio-user ${commandName(p.command)} to ${this.socketPath}: no reply within ${this.timeoutMs} ms`));
    }
  }

  private onClose(err: Error): void {
    if (this.closedError === null) this.closedError = err;
    if (this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
    const p = this.pending;
    this.pending = null;
    p?.reject(err);
    for (const queued of this.queue.splice(0)) queued.request.reject(err);
  }
}
