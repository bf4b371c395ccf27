// The checkpoint file a restarted plugin relies on: replaced atomically, refused loudly when
// corrupt (guessing would free or leak devices), never half-updated.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { Checkpoint, type CheckpointClaim } from "../src/checkpoint.ts";

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "dra-checkpoint-"))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const claim: CheckpointClaim = { namespace: "ns", name: "c", state: "prepared", devices: [{ deviceName: "mock0", poolName: "n", requestNames: ["r"], cdiDeviceIds: ["d/claim=u-mock0"] }] };

it("round-trips through the file and replaces it by rename, leaving no temporary file", () => {
  const path = join(dir, "checkpoint.json");
  const cp = Checkpoint.load(path, "d.example.com");
  cp.set("u1", claim);
  const firstInode = statSync(path).ino;
  cp.set("u2", { ...claim, devices: [{ ...claim.devices[0]!, deviceName: "mock1" }] });
  expect(statSync(path).ino).not.toBe(firstInode);
  expect(readdirSync(dir)).toEqual(["checkpoint.json"]);
  const again = Checkpoint.load(path, "d.example.com");
  expect(again.get("u1")).toEqual(claim);
  expect(again.holder("mock1")).toBe("u2");
  again.delete("u1");
  expect(Object.keys(Checkpoint.load(path, "d.example.com").claims())).toEqual(["u2"]);
});

it("refuses a corrupt file, naming the file and the field", () => {
  const path = join(dir, "checkpoint.json");
  writeFileSync(path, JSON.stringify({ version: 1, driverName: "d.example.com", claims: { u: { namespace: "ns", name: "c", state: "done", devices: [] } } }));
  expect(() => Checkpoint.load(path, "d.example.com")).toThrow(`${path}: claims.u.state: expected "preparing" or "prepared"`);
  writeFileSync(path, "{ not json");
  expect(() => Checkpoint.load(path, "d.example.com")).toThrow(new RegExp(`^${path}: \\(file\\): not JSON`));
  writeFileSync(path, JSON.stringify({ version: 1, driverName: "other.example.com", claims: {} }));
  expect(() => Checkpoint.load(path, "d.example.com")).toThrow(/driverName: written by driver "other.example.com"/);
});

it("keeps the old state in memory and leaves no temporary file when a write fails", () => {
  const path = join(dir, "checkpoint.json");
  const cp = Checkpoint.load(path, "d.example.com");
  cp.set("u1", claim);
  // Something that cannot be renamed over: the replace fails after the temporary file was written.
  rmSync(path);
  mkdirSync(join(path, "blocker"), { recursive: true });
  expect(() => cp.set("u2", claim)).toThrow();
  expect(cp.get("u2")).toBeUndefined();
  expect(cp.get("u1")).toEqual(claim);
  expect(readdirSync(dir)).toEqual(["checkpoint.json"]);
});
