// Random guest accesses (any offset, width 1..16, reads and writes, spanning registers and
// holes) against a byte-by-byte model written straight from the spec's rules. Seeded, so a
// failure reproduces.
import { expect, test } from "vitest";
import { buildDeviceConfig } from "../src/device/device-config.ts";
import { MockDevice } from "../src/device/mock-device.ts";
import { BAR0_SIZE_BYTES, REG, REGISTERS, type RegisterDef, type RegisterName } from "../src/generated/registers.ts";

/** mulberry32: a small seeded PRNG, enough to drive a test reproducibly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class SpecModel {
  readonly values = new Map<RegisterName, bigint>();
  /** Range-checked writes the model accepted and refused, per register. */
  readonly accepted = new Map<RegisterName, number>();
  readonly refused = new Map<RegisterName, number>();
  constructor(device: MockDevice) {
    for (const def of REGISTERS) this.values.set(def.name, def.access === "WO" ? 0n : device.readRegister(def.name));
  }
  private owner(at: number): RegisterDef | undefined {
    return REGISTERS.find((d) => at >= d.offsetBytes && at < d.offsetBytes + d.sizeBytes);
  }
  read(offset: number, n: number): number[] {
    return Array.from({ length: n }, (_, i) => {
      const at = offset + i;
      const def = this.owner(at);
      if (!def || def.access === "WO" || at >= BAR0_SIZE_BYTES) return 0;
      return Number((this.values.get(def.name)! >> BigInt(8 * (at - def.offsetBytes))) & 0xffn);
    });
  }
  write(offset: number, data: number[]): void {
    const touched = new Map<RegisterDef, Map<number, number>>();
    data.forEach((b, i) => {
      const def = this.owner(offset + i);
      if (!def) return;
      if (!touched.has(def)) touched.set(def, new Map());
      touched.get(def)!.set(offset + i - def.offsetBytes, b);
    });
    for (const [def, bytes] of [...touched].sort((x, y) => x[0].offsetBytes - y[0].offsetBytes)) {
      if (def.access !== "RW") continue;
      let v = this.values.get(def.name)!;
      for (const [pos, b] of bytes) v = (v & ~(0xffn << BigInt(8 * pos))) | (BigInt(b) << BigInt(8 * pos));
      const range = def.writeRange;
      if (range) {
        const max = typeof range.max === "bigint" ? range.max : this.values.get(range.max)!;
        const ok = v >= range.min && v <= max;
        const counter = ok ? this.accepted : this.refused;
        counter.set(def.name, (counter.get(def.name) ?? 0) + 1);
        if (!ok) continue;
      }
      this.values.set(def.name, v);
    }
  }
}

test("20,000 random accesses agree with a byte-by-byte model of the spec", () => {
  const device = new MockDevice({ kind: "pf", config: buildDeviceConfig({ kind: "pf", uuid: "random", totalVfs: 5 }) });
  const model = new SpecModel(device);
  const random = prng(0x5eed);
  const cmd = REG.PASSPHRASE_CMD;
  // Offsets cluster where the registers are, with some anywhere in the BAR.
  const pickOffset = () => (random() < 0.8 ? Math.floor(random() * 0x310) : Math.floor(random() * BAR0_SIZE_BYTES));
  const widths = [1, 2, 4, 8, 3, 16];
  for (let i = 0; i < 20_000; i++) {
    const n = widths[Math.floor(random() * widths.length)]!;
    const offset = Math.min(pickOffset(), BAR0_SIZE_BYTES - n);
    if (random() < 0.5) {
      const out = new Uint8Array(n);
      device.bar0Read(offset, out);
      expect(Array.from(out), `read ${n} at 0x${offset.toString(16)} (op ${i})`).toEqual(model.read(offset, n));
    } else {
      // The passphrase command has effects the model does not describe; aim elsewhere.
      if (offset < cmd.offsetBytes + cmd.sizeBytes && offset + n > cmd.offsetBytes) continue;
      // Small values now and then, so range-checked registers take some writes.
      const data = Array.from({ length: n }, () => (random() < 0.5 ? Math.floor(random() * 8) : Math.floor(random() * 256)));
      device.bar0Write(offset, new Uint8Array(data));
      model.write(offset, data);
    }
  }
  for (const def of REGISTERS) if (def.access !== "WO") expect(device.readRegister(def.name), def.name).toBe(model.values.get(def.name));
  // The run exercised the range checks both ways.
  for (const name of ["SRIOV_NUM_VFS", "PASSPHRASE_LENGTH"] as const) {
    expect(model.accepted.get(name), `${name} accepted`).toBeGreaterThan(0);
    expect(model.refused.get(name), `${name} refused`).toBeGreaterThan(0);
  }
});
