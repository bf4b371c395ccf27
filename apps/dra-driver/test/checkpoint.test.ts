// The checkpoint a restarted plugin relies on: two files written in turn, so a write cut short
// leaves the version before it; refused loudly when corrupt (guessing would free or leak
// devices), never half-updated.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Checkpoint, CheckpointError, checkpointFiles, type CheckpointClaim } from "../src/checkpoint.ts";

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "dra-checkpoint-"))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const claim: CheckpointClaim = { namespace: "ns", name: "c", state: "prepared", devices: [{ deviceName: "mock0", poolName: "n", requestNames: ["r"], cdiDeviceIds: ["d/claim=u-mock0"] }] };

it("round-trips, writing each version over the older of its two files in place, leaving no temporary file", () => {
  const path = join(dir, "checkpoint.json");
  const [a, b] = checkpointFiles(path);
  const cp = Checkpoint.load(path, "d.example.com");
  cp.set(U1, claim);
  cp.set(U2, { ...claim, devices: [{ ...claim.devices[0]!, deviceName: "mock1" }] });
  expect(readdirSync(dir).sort()).toEqual(["checkpoint.json", "checkpoint.json.alt"]);
  const inodes = [statSync(a).ino, statSync(b).ino];
  const before = readFileSync(a, "utf8");
  cp.delete(U1);
  // The third version went over the first file, in place; the second file still holds the second.
  expect([statSync(a).ino, statSync(b).ino]).toEqual(inodes);
  expect(readFileSync(a, "utf8")).not.toBe(before);
  expect(JSON.parse(readFileSync(a, "utf8")).generation).toBe(3);
  expect(JSON.parse(readFileSync(b, "utf8")).generation).toBe(2);
  const again = Checkpoint.load(path, "d.example.com");
  expect(again.get(U1)).toBeUndefined();
  expect(again.holder("mock1")).toBe(U2);
  again.set(U1, claim);
  expect(JSON.parse(readFileSync(b, "utf8")).generation).toBe(4);
  expect(Object.keys(Checkpoint.load(path, "d.example.com").claims()).sort()).toEqual([U1, U2]);
  expect(readdirSync(dir).sort()).toEqual(["checkpoint.json", "checkpoint.json.alt"]);
});

describe("a write cut short", () => {
  const path = () => join(dir, "checkpoint.json");
  /** Three versions: U1 recorded, U2 recorded, U1 deleted. The newest is in the first file. */
  function threeVersions(): void {
    const cp = Checkpoint.load(path(), "d.example.com");
    cp.set(U1, claim);
    cp.set(U2, claim);
    cp.delete(U1);
  }
  const cuts: [string, (text: string) => string][] = [
    ["in the middle (the new bytes, then the old file's tail)", (t) => t.slice(0, t.length / 2)],
    ["before the truncation (the new version, then the old one's last bytes)", (t) => `${t}  }\n}\n`],
    ["in a way that still parses (one record changed, the hash not)", (t) => t.replace('"mock0"', '"mock9"')],
  ];
  for (const [what, cut] of cuts) {
    it(`${what} leaves the version before it`, () => {
      threeVersions();
      const [a] = checkpointFiles(path());
      writeFileSync(a, cut(readFileSync(a, "utf8")));
      const cp = Checkpoint.load(path(), "d.example.com");
      expect(Object.keys(cp.claims()).sort()).toEqual([U1, U2]);
      // The next write goes over the torn file, and is the newest from then on.
      cp.delete(U2);
      expect(Object.keys(Checkpoint.load(path(), "d.example.com").claims())).toEqual([U1]);
      expect(JSON.parse(readFileSync(a, "utf8")).generation).toBe(3);
    });
  }

  it("in both files is refused, naming both", () => {
    threeVersions();
    const [a, b] = checkpointFiles(path());
    writeFileSync(a, "{ half");
    writeFileSync(b, readFileSync(b, "utf8").replace('"mock0"', '"mock9"'));
    expect(() => Checkpoint.load(path(), "d.example.com")).toThrow(new RegExp(`^${a}: \\(file\\): not JSON.*; ${b}: /sha256: does not match the record`));
  });

  it("does not hide a bad field: a whole version that fails the schema is refused, not passed over", () => {
    threeVersions();
    const [a] = checkpointFiles(path());
    const file = JSON.parse(readFileSync(a, "utf8"));
    file.data.claims[U2].devices = null;
    // Hashed as the writer hashes, so the file is whole and the fault is the record's.
    const { createHash } = require("node:crypto") as typeof import("node:crypto");
    file.sha256 = createHash("sha256").update(`${file.generation}\n${JSON.stringify(file.data)}`).digest("hex");
    writeFileSync(a, JSON.stringify(file));
    expect(() => Checkpoint.load(path(), "d.example.com")).toThrow(`${a}: /data/claims/${U2}/devices: expected array, found null`);
  });

  it("an earlier version's single file is read, and the next versions alternate as usual", () => {
    const p = path();
    writeFileSync(p, JSON.stringify({ version: 1, driverName: "d.example.com", claims: { [U1]: claim } }));
    const cp = Checkpoint.load(p, "d.example.com");
    expect(cp.get(U1)).toEqual(claim);
    cp.set(U2, claim);
    cp.delete(U1);
    expect(Object.keys(Checkpoint.load(p, "d.example.com").claims())).toEqual([U2]);
    expect(JSON.parse(readFileSync(p, "utf8")).generation).toBe(2);
  });
});

/** What the checkpoint's two files hold (each version written changes them: its generation at least). */
const bothFiles = (path: string): string[] => checkpointFiles(path).map((f) => (existsSync(f) ? readFileSync(f, "utf8") : "(none)"));

const U1 = "11111111-1111-4111-8111-111111111111";
const U2 = "22222222-2222-4222-8222-222222222222";

it("refuses a corrupt file, naming the file and the field", () => {
  const path = join(dir, "checkpoint.json");
  writeFileSync(path, JSON.stringify({ version: 1, driverName: "d.example.com", claims: { [U1]: { namespace: "ns", name: "c", state: "done", devices: [] } } }));
  expect(() => Checkpoint.load(path, "d.example.com")).toThrow(`${path}: /claims/${U1}/state: expected one of "preparing", "prepared", found "done"`);
  writeFileSync(path, "{ not json");
  expect(() => Checkpoint.load(path, "d.example.com")).toThrow(new RegExp(`^${path}: \\(file\\): not JSON`));
  writeFileSync(path, JSON.stringify({ version: 1, driverName: "other.example.com", claims: {} }));
  expect(() => Checkpoint.load(path, "d.example.com")).toThrow(/\/driverName: written by driver "other.example.com"/);
  writeFileSync(path, JSON.stringify({ version: 2, driverName: "d.example.com", claims: {} }));
  expect(() => Checkpoint.load(path, "d.example.com")).toThrow(`${path}: /version: expected 1, found 2`);
});

describe("the whole file is checked at load, so nothing fails later with a TypeError", () => {
  const device = claim.devices[0]!;
  const cases: [string, unknown, string][] = [
    ["null claims", null, "/claims: expected object, found null"],
    ["a null claim", { [U1]: null }, `/claims/${U1}: expected object, found null`],
    ["null devices", { [U1]: { ...claim, devices: null } }, `/claims/${U1}/devices: expected array, found null`],
    ["a null device", { [U1]: { ...claim, devices: [null] } }, `/claims/${U1}/devices/0: expected object, found null`],
    ["a device without requestNames", { [U1]: { ...claim, devices: [{ ...device, requestNames: undefined }] } }, `/claims/${U1}/devices/0/requestNames: required field is missing`],
    ['adminAccess "no"', { [U1]: { ...claim, devices: [{ ...device, adminAccess: "no" }] } }, `/claims/${U1}/devices/0/adminAccess: expected boolean, found "no"`],
    ["a claim key that is not a UID", { "../../victim": claim }, '/claims: key "../../victim" is not a claim UID'],
  ];
  for (const [what, claims, message] of cases) {
    it(`refuses ${what}`, () => {
      const path = join(dir, "checkpoint.json");
      writeFileSync(path, JSON.stringify({ version: 1, driverName: "d.example.com", claims }));
      let error: unknown;
      try {
        Checkpoint.load(path, "d.example.com");
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(CheckpointError);
      expect((error as Error).message).toContain(`${path}: ${message}`);
      expect((error as Error).message).not.toContain("\n");
    });
  }
});

it("keeps the old state in memory and leaves no temporary file when a write fails", () => {
  const path = join(dir, "checkpoint.json");
  const [a, b] = checkpointFiles(path);
  const cp = Checkpoint.load(path, "d.example.com");
  cp.set(U1, claim);
  // Something that cannot be written: the second file, about to be created, is a directory.
  mkdirSync(join(b, "blocker"), { recursive: true });
  expect(() => cp.set(U2, claim)).toThrow();
  expect(cp.get(U2)).toBeUndefined();
  expect(cp.get(U1)).toEqual(claim);
  expect(readdirSync(dir).sort()).toEqual(["checkpoint.json", "checkpoint.json.alt"]);
  // And when it exists and is written in place: the first file made a directory too.
  rmSync(b, { recursive: true });
  cp.set(U2, claim);
  rmSync(a);
  mkdirSync(a);
  expect(() => cp.delete(U1)).toThrow();
  expect(cp.get(U1)).toEqual(claim);
  rmSync(a, { recursive: true });
  expect(Object.keys(Checkpoint.load(path, "d.example.com").claims()).sort()).toEqual([U1, U2]);
});

describe("prepared is a fact of the process that prepared the claim, never of the file", () => {
  const record: CheckpointClaim = { ...claim, state: "preparing" };

  it("markPrepared writes nothing, and a loaded record is not prepared (a file from an earlier version saying so included)", () => {
    const path = join(dir, "checkpoint.json");
    const cp = Checkpoint.load(path, "d.example.com");
    cp.set(U1, record);
    const written = bothFiles(path);
    cp.markPrepared(U1);
    expect(cp.isPrepared(U1)).toBe(true);
    expect(bothFiles(path)).toEqual(written);
    expect(Checkpoint.load(path, "d.example.com").isPrepared(U1)).toBe(false);
    writeFileSync(path, JSON.stringify({ version: 1, driverName: "d.example.com", claims: { [U1]: claim } }));
    const old = Checkpoint.load(path, "d.example.com");
    expect(old.get(U1)!.state).toBe("prepared");
    expect(old.isPrepared(U1)).toBe(false);
  });

  it("a record equal to the one on disk is not written again, a different one is, and either makes the claim unprepared", () => {
    const path = join(dir, "checkpoint.json");
    const cp = Checkpoint.load(path, "d.example.com");
    cp.set(U1, record);
    cp.markPrepared(U1);
    const written = bothFiles(path);
    // Built in another key order, as a retried prepare may: still the same record.
    const { devices, state, name, namespace } = record;
    Checkpoint.load(path, "d.example.com").set(U1, { devices, state, name, namespace });
    cp.set(U1, { devices, state, name, namespace });
    expect(bothFiles(path)).toEqual(written);
    expect(cp.isPrepared(U1)).toBe(false);
    cp.set(U1, { ...record, devices: [{ ...record.devices[0]!, deviceName: "mock1" }] });
    expect(bothFiles(path)).not.toEqual(written);
    expect(Checkpoint.load(path, "d.example.com").holder("mock1")).toBe(U1);
  });

  it("refuses to mark a claim prepared that has no record", () => {
    const cp = Checkpoint.load(join(dir, "checkpoint.json"), "d.example.com");
    expect(() => cp.markPrepared(U1)).toThrow(`claim ${U1}: marked prepared without a record in the checkpoint`);
  });
});

it("removes the temporary file of a predecessor killed while writing, and nothing else", () => {
  const path = join(dir, "checkpoint.json");
  Checkpoint.load(path, "d.example.com").set(U1, claim);
  writeFileSync(join(dir, ".checkpoint.json.12345.tmp"), "{ half");
  writeFileSync(join(dir, "dra.sock.tmp"), "not ours");
  expect(Checkpoint.load(path, "d.example.com").get(U1)).toEqual(claim);
  expect(readdirSync(dir).sort()).toEqual(["checkpoint.json", "dra.sock.tmp"]);
});
