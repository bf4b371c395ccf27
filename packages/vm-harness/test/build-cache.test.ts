// Two builds of one key at the same time (two test files or two commands on one machine): both
// get the finished build, and nothing partial is left.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cachedBuild } from "../src/build-cache.ts";

describe("cachedBuild", () => {
  let cache: string;
  const saved = process.env.MOCK_ACCEL_CACHE;
  beforeEach(() => {
    cache = mkdtempSync(join(tmpdir(), "build-cache-test-"));
    process.env.MOCK_ACCEL_CACHE = cache;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.MOCK_ACCEL_CACHE;
    else process.env.MOCK_ACCEL_CACHE = saved;
    rmSync(cache, { recursive: true, force: true });
  });

  it("two concurrent builds of one folder both return it; the loser's copy is removed", async () => {
    let arrived = 0;
    let release!: () => void;
    const bothBuilding = new Promise<void>((r) => (release = r));
    const build = async (out: string) => {
      mkdirSync(out);
      writeFileSync(join(out, "file"), "built");
      if (++arrived === 2) release();
      await bothBuilding;
    };
    const [a, b] = await Promise.all([
      cachedBuild("area", "thing", "0123456789abcdef", "root", build),
      cachedBuild("area", "thing", "0123456789abcdef", "root", build),
    ]);
    expect(a).toBe(b);
    expect(readdirSync(a)).toEqual(["file"]);
    expect(readdirSync(join(cache, "area", "thing-0123456789abcdef"))).toEqual(["root"]);
  });

  it("a failed build leaves nothing that looks finished", async () => {
    await expect(cachedBuild("area", "thing", "fedcba9876543210", "root", async (out) => {
      mkdirSync(out);
      throw new Error("boom");
    })).rejects.toThrow("boom");
    expect(readdirSync(join(cache, "area", "thing-fedcba9876543210"))).toEqual([]);
  });
});
