// The config space x-pci-proxy-dev shows the guest: BAR sizing the way QEMU does it at
// realize, BAR programming, writable COMMAND, and no capability list.
import { describe, expect, test } from "vitest";
import { ProxyConfigSpace, type ConfigImage } from "../src/transports/proxy/config-space.ts";

/** A device image with IDs, the capability-list bit and a capability at 0x40, as a PCIe device has. */
function image(): ConfigImage & { bytes: Uint8Array } {
  const bytes = new Uint8Array(4096);
  const v = new DataView(bytes.buffer);
  v.setUint16(0x00, 0x1de5, true);
  v.setUint16(0x02, 0x0001, true);
  v.setUint16(0x06, 0x0010, true); // capability list present
  v.setUint32(0x08, 0x12000001, true);
  v.setUint8(0x34, 0x40);
  v.setUint16(0x40, 0x0010, true); // PCIe capability
  return {
    bytes,
    read: (o, s) => (s === 1 ? v.getUint8(o) : s === 2 ? v.getUint16(o, true) : v.getUint32(o, true)),
  };
}

describe("proxy config space", () => {
  test("IDs and class come from the device image", () => {
    const cs = new ProxyConfigSpace(image(), 4096);
    expect(cs.read(0x00, 2)).toBe(0x1de5);
    expect(cs.read(0x02, 2)).toBe(0x0001);
    expect(cs.read(0x00, 4)).toBe(0x00011de5);
    expect(cs.read(0x0b, 1)).toBe(0x12);
  });

  test("QEMU's sizing of BAR0 (write all-ones, read back) gives 4 KiB; BARs 1..5 are absent", () => {
    const cs = new ProxyConfigSpace(image(), 4096);
    const sizes: number[] = [];
    for (let i = 0; i < 6; i++) {
      const at = 0x10 + 4 * i;
      const orig = cs.read(at, 4);
      cs.write(at, 4, 0xffffffff);
      const sized = cs.read(at, 4);
      cs.write(at, 4, orig);
      sizes.push((~(sized & 0xfffffff0) + 1) >>> 0);
    }
    expect(sizes).toEqual([4096, 0, 0, 0, 0, 0]);
    expect(cs.read(0x10, 4)).toBe(0);
  });

  test("the base the guest programs is kept, with the bits below the size cleared", () => {
    const cs = new ProxyConfigSpace(image(), 4096);
    cs.write(0x10, 4, 0xfe001abc);
    expect(cs.read(0x10, 4)).toBe(0xfe001000);
    expect(cs.bar0Base).toBe(0xfe001000n);
    // Byte-wise programming, as some firmware does.
    cs.write(0x13, 1, 0xc0);
    cs.write(0x12, 1, 0x00);
    expect(cs.bar0Base).toBe(0xc0001000n);
  });

  test("COMMAND keeps memory-enable and bus-master, drops bits the device does not implement", () => {
    const cs = new ProxyConfigSpace(image(), 4096);
    cs.write(0x04, 2, 0xffff);
    expect(cs.read(0x04, 2)).toBe(0x0506);
    expect(cs.memoryEnabled).toBe(true);
  });

  test("no capability list: status bit 4 clear, pointer 0, bodies read 0", () => {
    const cs = new ProxyConfigSpace(image(), 4096);
    expect(cs.read(0x06, 2) & 0x10).toBe(0);
    expect(cs.read(0x34, 1)).toBe(0);
    expect(cs.read(0x40, 4)).toBe(0);
  });

  test("writes to read-only registers are dropped", () => {
    const cs = new ProxyConfigSpace(image(), 4096);
    cs.write(0x00, 4, 0x12345678);
    expect(cs.read(0x00, 4)).toBe(0x00011de5);
  });

  test("reset clears BAR0 and COMMAND", () => {
    const cs = new ProxyConfigSpace(image(), 4096);
    cs.write(0x10, 4, 0xfe000000);
    cs.write(0x04, 2, 0x2);
    cs.reset();
    expect(cs.read(0x10, 4)).toBe(0);
    expect(cs.read(0x04, 2)).toBe(0);
  });

  test("accesses beyond 256 bytes or straddling a dword are out of range", () => {
    expect(ProxyConfigSpace.inRange(0xfc, 4)).toBe(true);
    expect(ProxyConfigSpace.inRange(0x100, 1)).toBe(false);
    expect(ProxyConfigSpace.inRange(0x0f, 2)).toBe(false);
  });
});
