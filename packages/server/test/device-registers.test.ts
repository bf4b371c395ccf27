// The register engine as a guest sees it: every register at every width and offset a guest
// can use, accesses spanning registers and holes, RO/WO/RW semantics, write ranges, reset.
import { describe, expect, test } from "vitest";
import { buildDeviceConfig, uuidFromLabelOrCanonical } from "../src/device/device-config.ts";
import { MemoryLogger } from "../src/device/logger.ts";
import { MockDevice, type RegisterWriteEvent } from "../src/device/mock-device.ts";
import { BAR0_SIZE_BYTES, REG, REGISTERS, type RegisterDef } from "../src/generated/registers.ts";
import { DEVICE_ID_MAGIC } from "./device-id.ts";

const UUID = "6f1c3a2e-9b4d-4e8f-a1b2-c3d4e5f60718";
const GiB = 1n << 30n;

function pf(totalVfs = 3) {
  const log = new MemoryLogger();
  const device = new MockDevice({ kind: "pf", config: buildDeviceConfig({ kind: "pf", uuid: UUID, totalVfs }), log });
  return { device, log };
}

function read(device: MockDevice, offset: number, width: number): Uint8Array {
  const out = new Uint8Array(width).fill(0xee);
  device.bar0Read(offset, out);
  return out;
}

function le(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

function bytesOf(value: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = Number((value >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** What a PF with UUID and 3 VFs should show, register by register, from the spec's facts. */
function expectedValue(def: RegisterDef): Uint8Array {
  const v: Partial<Record<string, Uint8Array>> = {
    DEVICE_ID: bytesOf(DEVICE_ID_MAGIC, 4),
    REVISION: bytesOf(0x00010000n, 4),
    UUID: uuidFromLabelOrCanonical(UUID).bytes,
    MEMORY_SIZE: bytesOf(16n * GiB, 8),
    CAPABILITIES: bytesOf(1n, 4),
    FW_VERSION: bytesOf(0x00010200n, 4),
    SRIOV_TOTAL_VFS: bytesOf(3n, 4),
    VF_INDEX: bytesOf(0xffffffffn, 4),
    PASSPHRASE_LENGTH: bytesOf(6n, 4),
  };
  return v[def.name] ?? new Uint8Array(def.sizeBytes);
}

describe("BAR0 reads", () => {
  test("every register reads its value at every width 1, 2, 4, 8 and every aligned offset inside it", () => {
    const { device } = pf();
    let checked = 0;
    for (const def of REGISTERS) {
      const want = expectedValue(def);
      for (const width of [1, 2, 4, 8]) {
        for (let at = 0; at + width <= def.sizeBytes; at += width) {
          expect(Array.from(read(device, def.offsetBytes + at, width)), `${def.name}+${at} width ${width}`).toEqual(Array.from(want.subarray(at, at + width)));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(REGISTERS.length * 3);
  });

  test("16 GiB memory size reads correctly through two 32-bit reads", () => {
    const { device } = pf();
    const lo = le(read(device, REG.MEMORY_SIZE.offsetBytes, 4));
    const hi = le(read(device, REG.MEMORY_SIZE.offsetBytes + 4, 4));
    expect(lo).toBe(0n);
    expect(hi).toBe(4n);
    expect((hi << 32n) | lo).toBe(16n * GiB);
  });

  test("the UUID register holds the 16 raw UUID bytes, readable one byte at a time", () => {
    const { device } = pf();
    const bytes = Array.from({ length: 16 }, (_, i) => read(device, REG.UUID.offsetBytes + i, 1)[0]);
    expect(bytes).toEqual(Array.from(uuidFromLabelOrCanonical(UUID).bytes));
  });

  test("a read spanning registers and a hole returns each register's bytes and 0 for the hole", () => {
    const { device } = pf();
    // VF_INDEX (0x3C..0x3F) then the hole 0x40..0xFF, then PASSPHRASE_CMD (WO, reads 0).
    const out = read(device, 0x3c, 0x104 - 0x3c);
    expect(Array.from(out.subarray(0, 4))).toEqual([0xff, 0xff, 0xff, 0xff]);
    expect(out.subarray(4).every((b) => b === 0)).toBe(true);
    // One read of the whole identity block: DEVICE_ID, REVISION, UUID, hole, MEMORY_SIZE.
    const block = read(device, 0, 0x28);
    expect(le(block.subarray(0, 4))).toBe(DEVICE_ID_MAGIC);
    expect(Array.from(block.subarray(8, 24))).toEqual(Array.from(uuidFromLabelOrCanonical(UUID).bytes));
    expect(block.subarray(0x18, 0x20).every((b) => b === 0)).toBe(true);
    expect(le(block.subarray(0x20, 0x28))).toBe(16n * GiB);
  });

  test("unaligned and odd-width reads return the bytes at those offsets", () => {
    const { device } = pf();
    expect(Array.from(read(device, 1, 3))).toEqual([0x4f, 0x43, 0x4b]);
    expect(le(read(device, 0x2e, 4))).toBe(0x0200n << 16n); // last 2 bytes of STATUS (0), first 2 of FW_VERSION
  });

  test("every hole reads 0 at every offset, and the whole BAR reads in one access", () => {
    const { device } = pf();
    const all = read(device, 0, BAR0_SIZE_BYTES);
    for (let at = 0; at < BAR0_SIZE_BYTES; at++) {
      if (device.registerAt(at) === null) expect(all[at], `hole at 0x${at.toString(16)}`).toBe(0);
    }
  });

  test("bytes past the end of BAR0 read 0 and are logged", () => {
    const { device, log } = pf();
    const out = read(device, BAR0_SIZE_BYTES - 2, 4);
    expect(Array.from(out)).toEqual([0, 0, 0, 0]);
    expect(log.find("outside BAR0", "warn")).toHaveLength(1);
  });

  test("a VF shows its index, its memory size and no VFs", () => {
    const vf = new MockDevice({ kind: "vf", config: buildDeviceConfig({ kind: "vf", uuid: "vf1", vfIndex: 1 }) });
    expect(vf.readRegister("VF_INDEX")).toBe(1n);
    expect(vf.readRegister("MEMORY_SIZE")).toBe(2n * GiB);
    expect(vf.readRegister("SRIOV_TOTAL_VFS")).toBe(0n);
  });
});

describe("BAR0 writes", () => {
  test("writes to every read-only register are ignored and logged", () => {
    const { device, log } = pf();
    for (const def of REGISTERS.filter((d) => d.access === "RO")) {
      const before = read(device, def.offsetBytes, def.sizeBytes);
      device.bar0Write(def.offsetBytes, new Uint8Array(Math.min(def.sizeBytes, 8)).fill(0x5a));
      expect(Array.from(read(device, def.offsetBytes, def.sizeBytes)), def.name).toEqual(Array.from(before));
      expect(log.find(`read-only ${def.name}`, "warn"), def.name).toHaveLength(1);
    }
  });

  test("writes to holes are ignored and logged; they never leak into a read", () => {
    const { device, log } = pf();
    device.bar0Write(0x40, new Uint8Array([1, 2, 3, 4]));
    expect(le(read(device, 0x40, 4))).toBe(0n);
    expect(log.find("unmapped BAR0 0x040..0x043", "warn")).toHaveLength(1);
  });

  test("STATUS: a 32-bit write reads back and is reported with its previous value", () => {
    const { device } = pf();
    const events: RegisterWriteEvent[] = [];
    device.on("register-write", (e) => events.push(e));
    device.bar0Write(REG.STATUS.offsetBytes, bytesOf(0xdeadbeefn, 4));
    device.bar0Write(REG.STATUS.offsetBytes, bytesOf(1n, 4));
    expect(le(read(device, REG.STATUS.offsetBytes, 4))).toBe(1n);
    expect(events).toEqual([
      { name: "STATUS", value: 0xdeadbeefn, previous: 0n },
      { name: "STATUS", value: 1n, previous: 0xdeadbeefn },
    ]);
  });

  test("a partial write merges its bytes into the register, little-endian", () => {
    const { device } = pf();
    device.bar0Write(REG.STATUS.offsetBytes, bytesOf(0x11223344n, 4));
    device.bar0Write(REG.STATUS.offsetBytes + 2, new Uint8Array([0xaa]));
    expect(device.readRegister("STATUS")).toBe(0x11aa3344n);
    device.bar0Write(REG.STATUS.offsetBytes + 2, new Uint8Array([0xbb, 0xcc]));
    expect(device.readRegister("STATUS")).toBe(0xccbb3344n);
  });

  test("a write spanning a read-only and a writable register changes only the writable one", () => {
    const { device, log } = pf();
    // CAPABILITIES (RO, 0x28) + STATUS (RW, 0x2C) in one 8-byte write.
    device.bar0Write(REG.CAPABILITIES.offsetBytes, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x07, 0, 0, 0]));
    expect(device.readRegister("CAPABILITIES")).toBe(1n);
    expect(device.readRegister("STATUS")).toBe(7n);
    expect(log.find("read-only CAPABILITIES")).toHaveLength(1);
  });

  test("SRIOV_NUM_VFS accepts 0..SRIOV_TOTAL_VFS and refuses (logs) the rest", () => {
    const { device, log } = pf(3);
    const events: RegisterWriteEvent[] = [];
    device.on("register-write", (e) => events.push(e));
    device.bar0Write(REG.SRIOV_NUM_VFS.offsetBytes, bytesOf(3n, 4));
    expect(device.readRegister("SRIOV_NUM_VFS")).toBe(3n);
    device.bar0Write(REG.SRIOV_NUM_VFS.offsetBytes, bytesOf(4n, 4));
    expect(device.readRegister("SRIOV_NUM_VFS")).toBe(3n);
    expect(log.find("write of 4 to SRIOV_NUM_VFS refused: outside 0..3 (SRIOV_TOTAL_VFS)", "warn")).toHaveLength(1);
    expect(events).toEqual([{ name: "SRIOV_NUM_VFS", value: 3n, previous: 0n }]);
  });

  test("on a VF SRIOV_NUM_VFS only takes 0 (its total is 0)", () => {
    const vf = new MockDevice({ kind: "vf", config: buildDeviceConfig({ kind: "vf", uuid: "v", vfIndex: 0 }) });
    vf.bar0Write(REG.SRIOV_NUM_VFS.offsetBytes, bytesOf(1n, 4));
    expect(le(read(vf, REG.SRIOV_NUM_VFS.offsetBytes, 4))).toBe(0n);
  });

  test("PASSPHRASE_LENGTH takes 4..12 only", () => {
    const { device, log } = pf();
    for (const [value, stored] of [[4n, 4n], [12n, 12n], [3n, 12n], [13n, 12n], [0n, 12n], [8n, 8n]] as const) {
      device.bar0Write(REG.PASSPHRASE_LENGTH.offsetBytes, bytesOf(value, 4));
      expect(device.readRegister("PASSPHRASE_LENGTH"), `after writing ${value}`).toBe(stored);
    }
    expect(log.find("PASSPHRASE_LENGTH refused").length).toBeGreaterThan(0);
  });

  test("the write-only PASSPHRASE_CMD reads 0 after a write", () => {
    const { device } = pf();
    device.bar0Write(REG.PASSPHRASE_CMD.offsetBytes, bytesOf(1n, 4));
    expect(le(read(device, REG.PASSPHRASE_CMD.offsetBytes, 4))).toBe(0n);
  });

  test("64-bit value helpers for the proxy transport read and write like byte accesses", () => {
    const { device } = pf();
    expect(device.bar0ReadValue(REG.MEMORY_SIZE.offsetBytes, 8)).toBe(16n * GiB);
    expect(device.bar0ReadValue(REG.MEMORY_SIZE.offsetBytes + 4, 4)).toBe(4n);
    device.bar0WriteValue(REG.STATUS.offsetBytes, 2, 0xbeefn);
    expect(device.readRegister("STATUS")).toBe(0xbeefn);
  });
});

describe("reset", () => {
  test("restores reset values and config sources, keeps nothing a guest wrote", () => {
    const { device } = pf();
    device.bar0Write(REG.STATUS.offsetBytes, bytesOf(5n, 4));
    device.bar0Write(REG.SRIOV_NUM_VFS.offsetBytes, bytesOf(2n, 4));
    device.bar0Write(REG.PASSPHRASE_LENGTH.offsetBytes, bytesOf(9n, 4));
    device.bar0Write(REG.PASSPHRASE_CMD.offsetBytes, bytesOf(1n, 4));
    expect(device.readRegister("PASSPHRASE_STATUS")).toBe(2n);
    let resets = 0;
    device.on("reset", () => resets++);
    device.reset();
    expect(resets).toBe(1);
    for (const def of REGISTERS) {
      expect(Array.from(read(device, def.offsetBytes, def.sizeBytes)), def.name).toEqual(Array.from(expectedValue(def)));
    }
  });
});

describe("behaviours", () => {
  test("a caller's handler replaces the built-in one for its register only", () => {
    const seen: [bigint, bigint][] = [];
    const device = new MockDevice({
      kind: "pf",
      config: buildDeviceConfig({ kind: "pf", uuid: "b", totalVfs: 2 }),
      behaviours: { STATUS: (value, previous) => seen.push([value, previous]) },
    });
    const events: RegisterWriteEvent[] = [];
    device.on("register-write", (e) => events.push(e));
    device.bar0Write(REG.STATUS.offsetBytes, bytesOf(3n, 4));
    device.bar0Write(REG.SRIOV_NUM_VFS.offsetBytes, bytesOf(1n, 4));
    expect(seen).toEqual([[3n, 0n]]);
    expect(device.readRegister("STATUS")).toBe(3n);
    expect(events).toEqual([{ name: "SRIOV_NUM_VFS", value: 1n, previous: 0n }]);
  });
});
