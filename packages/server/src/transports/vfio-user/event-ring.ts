// Events from the event-loop worker to the main thread, without postMessage. The worker sits in
// epoll_wait and its own JS event loop almost never runs; posting a message per connection from
// there crashed the whole process after some 20,000 connections (issue 17, docs/transports.md).
// So the worker appends records to a ring in a SharedArrayBuffer and the main thread drains it on
// a timer. One writer (the worker), one reader (the main thread); positions only grow (mod 2^32)
// and are published with Atomics, so neither side ever waits for the other. When the ring is full
// the record is dropped and counted: a flood of hostile clients must cost neither memory nor a
// stalled device.
//
// Records are whole 32-bit words, so a record's first word never straddles the end of the ring:
// - a text record (logs, register writes): a word holding the UTF-8 length, then the bytes,
//   padded to a word;
// - a client record (a client attached to or left a device): one word, FLAG_CLIENT | connected
//   bit | device id. It is written without allocating anything: a client comes and goes per
//   connection, and every allocation on that path was garbage for the worker's collector, whose
//   pauses held every device's loop (issue 17).

const HEAD = 0; // next byte the writer fills (total bytes written, mod 2^32)
const TAIL = 1; // next byte the reader takes
const DROPPED = 2; // records the writer could not fit
const HEADER_INTS = 4;
const WORD = 4;
const FLAG_CLIENT = 0x8000_0000;
const CLIENT_CONNECTED = 0x4000_0000;
/** Device ids a client record can carry (the rest of its word). */
export const MAX_CLIENT_RECORD_ID = CLIENT_CONNECTED - 1;

export interface EventRingReader {
  text(text: string): void;
  client(id: number, connected: boolean): void;
}

export class EventRing {
  private readonly header: Int32Array;
  private readonly data: Uint8Array;
  private readonly words: Uint32Array;
  private readonly capacity: number;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();

  /** A ring of `capacityBytes` (a power of two) in a new SharedArrayBuffer. */
  static create(capacityBytes = 1 << 18): SharedArrayBuffer {
    if (capacityBytes < 64 || (capacityBytes & (capacityBytes - 1)) !== 0) throw new Error(`event ring size ${capacityBytes} is not a power of two >= 64`);
    return new SharedArrayBuffer(HEADER_INTS * 4 + capacityBytes);
  }

  constructor(buffer: SharedArrayBuffer) {
    this.header = new Int32Array(buffer, 0, HEADER_INTS);
    this.data = new Uint8Array(buffer, HEADER_INTS * 4);
    this.words = new Uint32Array(buffer, HEADER_INTS * 4);
    this.capacity = this.data.length;
  }

  /** Writer side. False (and counted as dropped) when the record does not fit now. */
  push(text: string): boolean {
    const body = this.encoder.encode(text);
    const head = this.reserve(WORD + padded(body.length));
    if (head < 0) return false;
    this.words[(head % this.capacity) / WORD] = body.length;
    this.copyIn(head + WORD, body);
    Atomics.store(this.header, HEAD, (head + WORD + padded(body.length)) | 0);
    return true;
  }

  /** Writer side: a client attached to (or left) device `id`. Allocates nothing. */
  pushClient(id: number, connected: boolean): boolean {
    const head = this.reserve(WORD);
    if (head < 0) return false;
    this.words[(head % this.capacity) / WORD] = (FLAG_CLIENT | (connected ? CLIENT_CONNECTED : 0) | (id & MAX_CLIENT_RECORD_ID)) >>> 0;
    Atomics.store(this.header, HEAD, (head + WORD) | 0);
    return true;
  }

  /** Reader side: every complete record, oldest first. */
  drain(reader: EventRingReader): void {
    const head = Atomics.load(this.header, HEAD) >>> 0;
    let tail = Atomics.load(this.header, TAIL) >>> 0;
    while (tail !== head) {
      const word = this.words[(tail % this.capacity) / WORD]!;
      if (word & FLAG_CLIENT) {
        tail = (tail + WORD) >>> 0;
        Atomics.store(this.header, TAIL, tail | 0);
        reader.client(word & MAX_CLIENT_RECORD_ID, (word & CLIENT_CONNECTED) !== 0);
        continue;
      }
      const text = this.decoder.decode(this.copyOut(tail + WORD, word));
      tail = (tail + WORD + padded(word)) >>> 0;
      Atomics.store(this.header, TAIL, tail | 0);
      reader.text(text);
    }
  }

  /** Records dropped because the ring was full; reading resets the count. */
  takeDropped(): number {
    return Atomics.exchange(this.header, DROPPED, 0);
  }

  /** The head position when `need` bytes fit now; else -1, counted as a drop. */
  private reserve(need: number): number {
    const head = Atomics.load(this.header, HEAD) >>> 0;
    const tail = Atomics.load(this.header, TAIL) >>> 0;
    if (need > this.capacity - ((head - tail) >>> 0)) {
      Atomics.add(this.header, DROPPED, 1);
      return -1;
    }
    return head;
  }

  private copyIn(position: number, bytes: Uint8Array): void {
    const at = position % this.capacity;
    const first = Math.min(bytes.length, this.capacity - at);
    this.data.set(bytes.subarray(0, first), at);
    if (first < bytes.length) this.data.set(bytes.subarray(first), 0);
  }

  private copyOut(position: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    const at = position % this.capacity;
    const first = Math.min(length, this.capacity - at);
    out.set(this.data.subarray(at, at + first), 0);
    if (first < length) out.set(this.data.subarray(0, length - first), first);
    return out;
  }
}

function padded(bytes: number): number {
  return (bytes + WORD - 1) & ~(WORD - 1);
}
