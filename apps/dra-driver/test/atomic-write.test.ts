// The one way the driver replaces a file (CDI specs, the checkpoint): the target is the old or
// the new version, the staging file never outlives the call, and the mode is the caller's.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { writeFileAtomic } from "../src/atomic-write.ts";

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "dra-atomic-"))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it("creates the directory, writes the text with the given mode and replaces the file by rename", () => {
  const path = join(dir, "sub", "f.json");
  for (const durable of [false, true]) {
    writeFileAtomic(path, "one\n", { mode: 0o600, stagingPath: `${path}.tmp`, durable });
    const inode = statSync(path).ino;
    writeFileAtomic(path, "two\n", { mode: 0o644, stagingPath: join(dir, "sub", ".f.json.tmp"), durable });
    expect(readFileSync(path, "utf8")).toBe("two\n");
    expect(statSync(path).mode & 0o777).toBe(0o644 & ~process.umask());
    expect(statSync(path).ino).not.toBe(inode);
    expect(readdirSync(join(dir, "sub"))).toEqual(["f.json"]);
    rmSync(path);
  }
});

it("a failed rename leaves the target as it was and no staging file", () => {
  // rename(2) of a file over a non-empty directory fails after the staging file is written.
  const path = join(dir, "target");
  mkdirSync(path);
  writeFileSync(join(path, "inside"), "old\n");
  expect(() => writeFileAtomic(path, "new\n", { mode: 0o644, stagingPath: join(dir, ".target.tmp"), durable: true })).toThrow(/EISDIR|ENOTEMPTY|EEXIST/);
  expect(readdirSync(dir)).toEqual(["target"]);
  expect(readFileSync(join(path, "inside"), "utf8")).toBe("old\n");
});

it("refuses a staging file in another directory (the rename would not be atomic)", () => {
  expect(() => writeFileAtomic(join(dir, "f.json"), "x", { mode: 0o644, stagingPath: join(tmpdir(), "f.json.tmp"), durable: false })).toThrow(/must be in/);
  expect(readdirSync(dir)).toEqual([]);
});
