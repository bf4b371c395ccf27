// The build cache: two builds of one key at the same time (two test files or two commands on one
// machine) both get the finished build; nothing partial is left or kept; keys do not depend on
// where the checkout is.
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cachedBuild, hashFiles } from "../src/build-cache.ts";
import { REPO_ROOT } from "../src/qemu.ts";

describe("hashFiles", () => {
  it("names a file inside the checkout by its path relative to it, so another clone reuses the cache", () => {
    const file = join(REPO_ROOT, "package.json");
    const expected = createHash("sha256").update("extra\0").update("package.json\0").update(readFileSync(file)).digest("hex").slice(0, 16);
    expect(hashFiles([file], ["extra"])).toBe(expected);
  });

  it("counts a file given twice once, and changes with a file's content", () => {
    const dir = mkdtempSync(join(tmpdir(), "hash-files-test-"));
    try {
      const f = join(dir, "input");
      writeFileSync(f, "one");
      const before = hashFiles([f]);
      expect(hashFiles([f, f])).toBe(before);
      writeFileSync(f, "two");
      expect(hashFiles([f])).not.toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

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

  it("a finished build is reused; what a killed build left over an hour ago goes, a recent partial stays", async () => {
    let builds = 0;
    const build = async (out: string) => { builds++; writeFileSync(out, "whole"); };
    const dir = join(cache, "area", "thing-1111111111111111");
    mkdirSync(dir, { recursive: true });
    const abandoned = join(dir, "image.tar.partial-1-old");
    const running = join(dir, "image.tar.partial-2-new");
    for (const p of [abandoned, running]) mkdirSync(p);
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(abandoned, twoHoursAgo, twoHoursAgo);
    const a = await cachedBuild("area", "thing", "1111111111111111", "image.tar", build);
    const b = await cachedBuild("area", "thing", "1111111111111111", "image.tar", build);
    expect(a).toBe(b);
    expect(builds).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(["image.tar", "image.tar.partial-2-new"]);
  });
});
