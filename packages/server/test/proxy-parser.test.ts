// The proxy protocol parser on its own: known messages, each kind of bad input, and fuzzing
// (random byte strings and mutated valid streams) for thousands of cases. A seed makes every
// fuzz case reproducible; a failure prints it.
import { describe, expect, test } from "vitest";
import { parseMessages } from "../src/transports/proxy/parser.ts";
import { Cmd, encodeMessage, HEADER_BYTES, MAX_PAYLOAD_BYTES, type ProxyMessage } from "../src/transports/proxy/wire.ts";

/** xorshift32: small, seedable, good enough to pick fuzz inputs. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  return {
    int: (n: number) => next() % n,
    u32: () => next(),
    u64: () => (BigInt(next()) << 32n) | BigInt(next()),
    bytes: (n: number) => Uint8Array.from({ length: n }, () => next() & 0xff),
  };
}
type Rng = ReturnType<typeof rng>;

function randomMessage(r: Rng): ProxyMessage {
  const lens = [1, 2, 4] as const;
  const sizes = [1, 2, 4, 8] as const;
  switch (r.int(7)) {
    case 0:
      return { cmd: "SYNC_SYSMEM" };
    case 1:
      return { cmd: "PCI_CFGWRITE", addr: r.int(256), val: r.u32(), len: lens[r.int(3)]! };
    case 2:
      return { cmd: "PCI_CFGREAD", addr: r.int(256), len: lens[r.int(3)]! };
    case 3:
      return { cmd: "BAR_WRITE", addr: r.u64(), val: r.u64(), size: sizes[r.int(4)]!, memory: r.int(2) === 1 };
    case 4:
      return { cmd: "BAR_READ", addr: r.u64(), size: sizes[r.int(4)]!, memory: r.int(2) === 1 };
    case 5:
      return { cmd: "SET_IRQFD" };
    default:
      return { cmd: "DEVICE_RESET" };
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function header(cmd: number, size: bigint): Uint8Array {
  const h = new Uint8Array(HEADER_BYTES);
  const v = new DataView(h.buffer);
  v.setInt32(0, cmd, true);
  v.setBigUint64(8, size, true);
  return h;
}

describe("proxy parser: messages QEMU sends", () => {
  test("a BAR read parses to its address, size and memory flag", () => {
    const bytes = encodeMessage({ cmd: "BAR_READ", addr: 0xfe000020n, size: 4, memory: true });
    expect(bytes.length).toBe(16 + 24);
    const r = parseMessages(bytes);
    expect(r.error).toBeNull();
    expect(r.consumed).toBe(bytes.length);
    expect(r.messages).toEqual([{ cmd: "BAR_READ", addr: 0xfe000020n, size: 4, memory: true }]);
  });

  test("a config write parses to address, value and length", () => {
    const r = parseMessages(encodeMessage({ cmd: "PCI_CFGWRITE", addr: 0x10, val: 0xffffffff, len: 4 }));
    expect(r.messages).toEqual([{ cmd: "PCI_CFGWRITE", addr: 0x10, val: 0xffffffff, len: 4 }]);
  });

  test("SYNC_SYSMEM carries its 192-byte table, SET_IRQFD and DEVICE_RESET carry nothing", () => {
    const bytes = concat([encodeMessage({ cmd: "SYNC_SYSMEM" }), encodeMessage({ cmd: "SET_IRQFD" }), encodeMessage({ cmd: "DEVICE_RESET" })]);
    expect(bytes.length).toBe(16 + 192 + 16 + 16);
    expect(parseMessages(bytes).messages.map((m) => m.cmd)).toEqual(["SYNC_SYSMEM", "SET_IRQFD", "DEVICE_RESET"]);
  });

  test("a stream split at every byte boundary gives the same messages as whole", () => {
    const r = rng(7);
    const msgs = Array.from({ length: 20 }, () => randomMessage(r));
    const stream = concat(msgs.map(encodeMessage));
    for (let cut = 0; cut <= stream.length; cut++) {
      const first = parseMessages(stream.subarray(0, cut));
      expect(first.error).toBeNull();
      const rest = parseMessages(stream.subarray(first.consumed));
      expect([...first.messages, ...rest.messages]).toEqual(msgs);
    }
  });

  test("a partial header or payload waits for more bytes", () => {
    const bytes = encodeMessage({ cmd: "PCI_CFGREAD", addr: 0, len: 2 });
    for (const n of [1, 15, 16, 27]) {
      expect(parseMessages(bytes.subarray(0, n))).toEqual({ messages: [], consumed: 0, error: null });
    }
  });
});

describe("proxy parser: refuses what QEMU never sends", () => {
  const reason = (bytes: Uint8Array) => parseMessages(bytes).error?.reason;

  test("an unknown command", () => {
    expect(reason(header(8, 0n))).toMatch(/header\.cmd: unknown command 8/);
    expect(reason(header(-1, 0n))).toMatch(/unknown command -1/);
  });

  test("RET sent to the device", () => {
    expect(reason(header(Cmd.RET, 8n))).toMatch(/RET \(1\) is a reply/);
  });

  test("an oversized message, refused from the header alone", () => {
    expect(reason(header(Cmd.BAR_READ, BigInt(MAX_PAYLOAD_BYTES + 1)))).toMatch(/header\.size: 193 bytes is over the 192-byte maximum/);
    expect(reason(header(Cmd.SYNC_SYSMEM, 1n << 63n))).toMatch(/oversized SYNC_SYSMEM/);
  });

  test("a payload size that does not match the command", () => {
    expect(reason(header(Cmd.PCI_CFGREAD, 24n))).toMatch(/header\.size: PCI_CFGREAD carries 12 bytes, header says 24/);
    expect(reason(header(Cmd.SET_IRQFD, 8n))).toMatch(/SET_IRQFD carries 0 bytes/);
  });

  test("a config length other than 1, 2, 4 and a BAR size other than 1, 2, 4, 8", () => {
    const cfg = encodeMessage({ cmd: "PCI_CFGREAD", addr: 0, len: 4 });
    new DataView(cfg.buffer).setInt32(16 + 8, 3, true);
    expect(reason(cfg)).toMatch(/PCI_CFGREAD\.len: 3, expected 1, 2 or 4/);
    const bar = encodeMessage({ cmd: "BAR_WRITE", addr: 0n, val: 0n, size: 4, memory: true });
    new DataView(bar.buffer).setUint32(16 + 16, 16, true);
    expect(reason(bar)).toMatch(/BAR_WRITE\.size: 16, expected 1, 2, 4 or 8/);
  });

  test("valid messages before a bad one are returned, and the error points at the bad one", () => {
    const good = encodeMessage({ cmd: "DEVICE_RESET" });
    const r = parseMessages(concat([good, good, header(99, 0n), good]));
    expect(r.messages).toHaveLength(2);
    expect(r.consumed).toBe(32);
    expect(r.error).toMatchObject({ offsetBytes: 32, cmd: 99 });
  });
});

/** Invariants every parse must keep, whatever the input. */
function checkInvariants(input: Uint8Array, seed: number): ReturnType<typeof parseMessages> {
  let r: ReturnType<typeof parseMessages>;
  try {
    r = parseMessages(input);
  } catch (err) {
    throw new Error(`seed ${seed}: parser threw ${(err as Error).message}`);
  }
  const context = `seed ${seed}`;
  expect(r.consumed, context).toBeLessThanOrEqual(input.length);
  // What was consumed is exactly the messages returned, re-encoded (pad bytes aside, which
  // the parser ignores and the encoder writes as 0).
  const reencoded = concat(r.messages.map(encodeMessage));
  expect(reencoded.length, context).toBe(r.consumed);
  if (r.error) expect(r.error.offsetBytes, context).toBe(r.consumed);
  // Without an error, what is left is less than one whole message.
  else expect(input.length - r.consumed, context).toBeLessThan(HEADER_BYTES + MAX_PAYLOAD_BYTES);
  return r;
}

describe("proxy parser: fuzz", () => {
  test("5,000 random byte strings: never throws, never consumes bytes it did not parse", () => {
    for (let seed = 1; seed <= 5000; seed++) {
      const r = rng(seed);
      const input = r.bytes(r.int(400));
      // Half of the cases start with a plausible header so the payload checks are reached.
      if (seed % 2 === 0 && input.length >= HEADER_BYTES) {
        const v = new DataView(input.buffer);
        v.setInt32(0, r.int(9), true);
        v.setBigUint64(8, BigInt([0, 12, 24, 192, r.int(300)][r.int(5)]!), true);
      }
      checkInvariants(input, seed);
    }
  });

  test("3,000 mutated valid streams: messages before the first damaged byte survive unchanged", () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const r = rng(seed * 7919);
      const msgs = Array.from({ length: 1 + r.int(12) }, () => randomMessage(r));
      const encoded = msgs.map(encodeMessage);
      const stream = concat(encoded);
      const mutated = new Uint8Array(stream);
      let damagedAt: number;
      let input: Uint8Array;
      switch (r.int(4)) {
        case 0: {
          damagedAt = r.int(stream.length);
          mutated[damagedAt] = mutated[damagedAt]! ^ (1 + r.int(255));
          input = mutated;
          break;
        }
        case 1: {
          damagedAt = r.int(stream.length);
          input = stream.subarray(0, damagedAt); // truncated
          break;
        }
        case 2: {
          damagedAt = r.int(stream.length);
          input = concat([stream.subarray(0, damagedAt), r.bytes(1 + r.int(40)), stream.subarray(damagedAt)]);
          break;
        }
        default: {
          damagedAt = r.int(stream.length);
          input = concat([stream.subarray(0, damagedAt), stream.subarray(damagedAt + 1 + r.int(30))]);
        }
      }
      const result = checkInvariants(input, seed);
      // Messages wholly before the damage must come out as they went in.
      let end = 0;
      let intact = 0;
      for (const e of encoded) {
        if (end + e.length > damagedAt) break;
        end += e.length;
        intact += 1;
      }
      expect(result.messages.slice(0, intact), `seed ${seed}`).toEqual(msgs.slice(0, intact));
    }
  });
});
