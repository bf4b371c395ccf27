// The worker-to-main-thread event ring: order, wrap-around, and dropping (never blocking or
// growing) when the reader falls behind.
import { describe, expect, it } from "vitest";
import { EventRing, MAX_CLIENT_RECORD_ID, type EventRingReader } from "../src/transports/vfio-user/event-ring.ts";

/** A reader that keeps every record as text, client records as `client <id> <connected>`. */
function collect(into: string[]): EventRingReader {
  return { text: (t) => into.push(t), client: (id, connected) => into.push(`client ${id} ${connected}`) };
}

describe("EventRing", () => {
  it("hands records over in order, across the end of the buffer many times", () => {
    const buffer = EventRing.create(256);
    const writer = new EventRing(buffer);
    const reader = new EventRing(buffer);
    const seen: string[] = [];
    const sent: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const text = `event ${i} ${"x".repeat(i % 37)} é`;
      expect(writer.push(text)).toBe(true);
      sent.push(text);
      if (i % 3 === 2) reader.drain(collect(seen));
    }
    reader.drain(collect(seen));
    expect(seen).toEqual(sent);
    expect(reader.takeDropped()).toBe(0);
  });

  it("drops and counts records that do not fit, and carries on once drained", () => {
    const buffer = EventRing.create(64);
    const writer = new EventRing(buffer);
    const reader = new EventRing(buffer);
    expect(writer.push("a".repeat(40))).toBe(true);
    expect(writer.push("b".repeat(40))).toBe(false);
    expect(writer.push("c".repeat(100))).toBe(false);
    expect(reader.takeDropped()).toBe(2);
    expect(reader.takeDropped()).toBe(0);
    const seen: string[] = [];
    reader.drain(collect(seen));
    expect(seen).toEqual(["a".repeat(40)]);
    expect(writer.push("d".repeat(40))).toBe(true);
    reader.drain(collect(seen));
    expect(seen).toEqual(["a".repeat(40), "d".repeat(40)]);
  });

  it("keeps client records (one word, no text) in order with text records across the end many times", () => {
    const buffer = EventRing.create(128);
    const writer = new EventRing(buffer);
    const reader = new EventRing(buffer);
    const seen: string[] = [];
    const sent: string[] = [];
    for (let i = 0; i < 5000; i++) {
      if (i % 3 === 0) {
        const text = `log ${i}${"y".repeat(i % 11)}`;
        expect(writer.push(text)).toBe(true);
        sent.push(text);
      } else {
        const id = i % 2 === 0 ? MAX_CLIENT_RECORD_ID : i;
        expect(writer.pushClient(id, i % 4 === 1)).toBe(true);
        sent.push(`client ${id} ${i % 4 === 1}`);
      }
      if (i % 5 === 4) reader.drain(collect(seen));
    }
    reader.drain(collect(seen));
    expect(seen).toEqual(sent);
    expect(reader.takeDropped()).toBe(0);
  });

  it("drops a client record too when the ring is full", () => {
    const buffer = EventRing.create(64);
    const writer = new EventRing(buffer);
    const reader = new EventRing(buffer);
    expect(writer.push("a".repeat(60))).toBe(true);
    expect(writer.pushClient(1, true)).toBe(false);
    expect(reader.takeDropped()).toBe(1);
    const seen: string[] = [];
    reader.drain(collect(seen));
    expect(writer.pushClient(1, true)).toBe(true);
    reader.drain(collect(seen));
    expect(seen).toEqual(["a".repeat(60), "client 1 true"]);
  });

  it("refuses a size that is not a power of two", () => {
    expect(() => EventRing.create(1000)).toThrow(/power of two/);
  });
});
