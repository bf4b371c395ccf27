// What the test suite prints is what a user reads: a warning that is not a problem teaches
// them to ignore warnings. The manifests test imports kubernetes-models per object kind; an
// import() of a template literal made Vite warn `"./${group " is not exported` mid-run.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const pkg = join(import.meta.dirname, "..");

describe("the manifests test's output", () => {
  it("carries no Vite resolver warning", () => {
    const r = spawnSync("bunx", ["--bun", "vitest", "run", "test/manifests.test.ts", "-t", "each has the shape of its API"], {
      cwd: pkg,
      encoding: "utf8",
      env: { ...process.env, CI: "", NO_COLOR: "1" },
      timeout: 120_000,
    });
    const out = `${r.stdout}${r.stderr}`;
    expect(r.status, out).toBe(0);
    expect(out).toContain("1 passed");
    expect(out).not.toMatch(/\[vite\].*warning|is not exported/);
  });
});
