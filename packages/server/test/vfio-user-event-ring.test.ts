// The worker-to-main-thread event ring: order, wrap-around, and dropping (never blocking or
// growing) when the reader falls behind.
import { describe, expect, it } from "vitest";
import { EventRing } from "../src/transports/vfio-user/event-ring.ts";

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
      if (i % 3 === 2) reader.drain((t) => seen.push(t));
    }
    reader.drain((t) => seen.push(t));
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
    reader.drain((t) => seen.push(t));
    expect(seen).toEqual(["a".repeat(40)]);
    expect(writer.push("d".repeat(40))).toBe(true);
    reader.drain((t) => seen.push(t));
    expect(seen).toEqual(["a".repeat(40), "d".repeat(40)]);
  });

  it("refuses a size that is not a power of two", () => {
    expect(() => EventRing.create(1000)).toThrow(/power of two/);
  });
});
