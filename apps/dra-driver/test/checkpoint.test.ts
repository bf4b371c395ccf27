// The checkpoint file a restarted plugin relies on: replaced atomically, refused loudly when
// corrupt (guessing would free or leak devices), never half-updated.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Checkpoint, CheckpointError, type CheckpointClaim } from "../src/checkpoint.ts";

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "dra-checkpoint-"))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const claim: CheckpointClaim = { namespace: "ns", name: "c", state: "prepared", devices: [{ deviceName: "mock0", poolName: "n", requestNames: ["r"], cdiDeviceIds: ["d/claim=u-mock0"] }] };

it("round-trips through the file and replaces it by rename, leaving no temporary file", () => {
  const path = join(dir, "checkpoint.json");
  const cp = Checkpoint.load(path, "d.example.com");
  cp.set(U1, claim);
  const firstInode = statSync(path).ino;
  cp.set(U2, { ...claim, devices: [{ ...claim.devices[0]!, deviceName: "mock1" }] });
  expect(statSync(path).ino).not.toBe(firstInode);
  expect(readdirSync(dir)).toEqual(["checkpoint.json"]);
  const again = Checkpoint.load(path, "d.example.com");
  expect(again.get(U1)).toEqual(claim);
  expect(again.holder("mock1")).toBe(U2);
  again.delete(U1);
  expect(Object.keys(Checkpoint.load(path, "d.example.com").claims())).toEqual([U2]);
});

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
  const cp = Checkpoint.load(path, "d.example.com");
  cp.set(U1, claim);
  // Something that cannot be renamed over: the replace fails after the temporary file was written.
  rmSync(path);
  mkdirSync(join(path, "blocker"), { recursive: true });
  expect(() => cp.set(U2, claim)).toThrow();
  expect(cp.get(U2)).toBeUndefined();
  expect(cp.get(U1)).toEqual(claim);
  expect(readdirSync(dir)).toEqual(["checkpoint.json"]);
});

describe("prepared is a fact of the process that prepared the claim, never of the file", () => {
  const record: CheckpointClaim = { ...claim, state: "preparing" };

  it("markPrepared writes nothing, and a loaded record is not prepared (a file from an earlier version saying so included)", () => {
    const path = join(dir, "checkpoint.json");
    const cp = Checkpoint.load(path, "d.example.com");
    cp.set(U1, record);
    const written = readFileSync(path, "utf8");
    const inode = statSync(path).ino;
    cp.markPrepared(U1);
    expect(cp.isPrepared(U1)).toBe(true);
    expect(statSync(path).ino).toBe(inode);
    expect(readFileSync(path, "utf8")).toBe(written);
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
    const inode = statSync(path).ino;
    // Built in another key order, as a retried prepare may: still the same record.
    const { devices, state, name, namespace } = record;
    Checkpoint.load(path, "d.example.com").set(U1, { devices, state, name, namespace });
    cp.set(U1, { devices, state, name, namespace });
    expect(statSync(path).ino).toBe(inode);
    expect(cp.isPrepared(U1)).toBe(false);
    cp.set(U1, { ...record, devices: [{ ...record.devices[0]!, deviceName: "mock1" }] });
    expect(statSync(path).ino).not.toBe(inode);
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
