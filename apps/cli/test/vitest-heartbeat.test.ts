// scripts/vitest-heartbeat.ts, the reporter `bun run test` adds: when vitest's output is a pipe
// or a file, a quiet test file still gets a line naming it (and the test it is in) regularly.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../../..");
const fixture = join(import.meta.dirname, "fixtures", "heartbeat");

function vitest(env: Record<string, string>) {
  return spawnSync(
    "bunx",
    ["--bun", "vitest", "run", "--root", fixture, "--config", join(fixture, "vitest.config.ts"), "--reporter=default", `--reporter=${join(root, "scripts", "vitest-heartbeat.ts")}`],
    { cwd: root, encoding: "utf8", env: { ...process.env, CI: "", ...env }, timeout: 60_000 },
  );
}

describe("scripts/vitest-heartbeat.ts", () => {
  it("names the running file and test while it is quiet, with plain lines", () => {
    const r = vitest({ MOCK_ACCEL_HEARTBEAT_MS: "300" });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const beats = r.stdout.split("\n").filter((l) => l.includes("still running"));
    expect(beats.length, r.stdout).toBeGreaterThanOrEqual(2);
    expect(beats.some((l) => /still running apps\/cli\/test\/fixtures\/heartbeat\/slow\.fixture\.ts \(\d+ s, in "sleeps quietly"\)/.test(l)), beats.join("\n")).toBe(true);
    expect(r.stdout).not.toContain("\r");
  });

  it("stays quiet when the file is quicker than the interval", () => {
    const r = vitest({ MOCK_ACCEL_HEARTBEAT_MS: "60000" });
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain("still running");
  });
});
