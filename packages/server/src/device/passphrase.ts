// Uniformly random picks from a wordlist (the EFF large wordlist by default, eff-words.ts) with
// cryptographic randomness.

/** The EFF wordlist, loaded on first use: most devices never draw a passphrase (eff-words.ts says why). */
export function effWords(): readonly string[] {
  // A synchronous, statically named require: bundled by `bun build --compile` like an import.
  return (require("./eff-words.ts") as typeof import("./eff-words.ts")).EFF_WORDS;
}

/** Picks words uniformly at random: crypto.getRandomValues with rejection, so no modulo bias. */
export class WordPicker {
  private readonly pool = new Uint32Array(64);
  private poolNext = this.pool.length;
  /** Largest multiple of the list length that fits 2^32; draws at or above it are rejected. */
  private limitCache = 0;
  private wordsCache: readonly string[] | undefined;

  /** `words` defaults to the EFF large wordlist, loaded on the first draw. */
  constructor(words?: readonly string[]) {
    if (words) {
      if (words.length === 0 || words.length > 2 ** 32) throw new Error(`a wordlist needs 1..2^32 words, got ${words.length}`);
      this.wordsCache = words;
    }
  }

  get words(): readonly string[] {
    return (this.wordsCache ??= effWords());
  }

  private get limit(): number {
    return (this.limitCache ||= 2 ** 32 - (2 ** 32 % this.words.length));
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
