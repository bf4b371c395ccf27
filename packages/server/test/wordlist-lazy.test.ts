// The EFF wordlist (a 171 KB object literal) costs about 10 MB of RSS per JS thread that loads
// it, and only a device drawing a passphrase needs it. Importing the package must not load it:
// when the index re-exported it as a value, every `mock-accel up` main thread paid for it (issue 20).
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const serverDir = join(import.meta.dirname, "..");

/** Modules of the wordlist a fresh Bun process has loaded after running `script`. */
function wordlistModulesAfter(script: string): string[] {
  const probe = `${script}; console.log(JSON.stringify(Object.keys(require.cache).filter((k) => /eff-words|diceware/.test(k))));`;
  const run = spawnSync("bun", ["-e", probe], { cwd: serverDir, encoding: "utf8" });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout.trim().split("\n").at(-1)!) as string[];
}

describe("the EFF wordlist is loaded only when a passphrase is drawn", () => {
  it("importing @mock-accel/server does not load it", () => {
    expect(wordlistModulesAfter(`await import("./src/index.ts")`)).toEqual([]);
  });

  it("effWords() loads it", () => {
    const loaded = wordlistModulesAfter(`const { effWords } = await import("./src/index.ts"); if (effWords().length !== 7776) process.exit(3)`);
    expect(loaded.some((m) => m.endsWith("eff-words.ts"))).toBe(true);
  });
});
