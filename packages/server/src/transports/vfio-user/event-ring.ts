// Events from the event-loop worker to the main thread, without postMessage. The worker sits in
// epoll_wait and its own JS event loop almost never runs; posting a message per connection from
// there crashed the whole process after some 20,000 connections (issue 17, docs/transports.md).
// So the worker appends records to a ring in a SharedArrayBuffer and the main thread drains it on
// a timer. One writer (the worker), one reader (the main thread); positions only grow (mod 2^32)
// and are published with Atomics, so neither side ever waits for the other. When the ring is full
// the record is dropped and counted: a flood of hostile clients must cost neither memory nor a
// stalled device.

const HEAD = 0; // next byte the writer fills (total bytes written, mod 2^32)
const TAIL = 1; // next byte the reader takes
const DROPPED = 2; // records the writer could not fit
const HEADER_INTS = 4;
const LENGTH_BYTES = 4;

export class EventRing {
  private readonly header: Int32Array;
  private readonly data: Uint8Array;
  private readonly capacity: number;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();
  private readonly lengthBytes = new Uint8Array(LENGTH_BYTES);

  /** A ring of `capacityBytes` (a power of two) in a new SharedArrayBuffer. */
  static create(capacityBytes = 1 << 18): SharedArrayBuffer {
    if (capacityBytes < 64 || (capacityBytes & (capacityBytes - 1)) !== 0) throw new Error(`event ring size ${capacityBytes} is not a power of two >= 64`);
    return new SharedArrayBuffer(HEADER_INTS * 4 + capacityBytes);
  }

  constructor(buffer: SharedArrayBuffer) {
    this.header = new Int32Array(buffer, 0, HEADER_INTS);
    this.data = new Uint8Array(buffer, HEADER_INTS * 4);
    this.capacity = this.data.length;
  }

  /** Writer side. False (and counted as dropped) when the record does not fit now. */
  push(text: string): boolean {
    const body = this.encoder.encode(text);
    const need = LENGTH_BYTES + body.length;
    const head = Atomics.load(this.header, HEAD) >>> 0;
    const tail = Atomics.load(this.header, TAIL) >>> 0;
    const used = (head - tail) >>> 0;
    if (need > this.capacity - used) {
      Atomics.add(this.header, DROPPED, 1);
      return false;
    }
    new DataView(this.lengthBytes.buffer).setUint32(0, body.length, true);
    this.copyIn(head, this.lengthBytes);
    this.copyIn(head + LENGTH_BYTES, body);
    Atomics.store(this.header, HEAD, (head + need) | 0);
    return true;
  }

  /** Reader side: every complete record, oldest first. */
  drain(each: (text: string) => void): void {
    const head = Atomics.load(this.header, HEAD) >>> 0;
    let tail = Atomics.load(this.header, TAIL) >>> 0;
    while (tail !== head) {
      const len = new DataView(this.copyOut(tail, LENGTH_BYTES).buffer).getUint32(0, true);
      const text = this.decoder.decode(this.copyOut(tail + LENGTH_BYTES, len));
      tail = (tail + LENGTH_BYTES + len) >>> 0;
      Atomics.store(this.header, TAIL, tail | 0);
      each(text);
    }
  }

  /** Records dropped because the ring was full; reading resets the count. */
  takeDropped(): number {
    return Atomics.exchange(this.header, DROPPED, 0);
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
