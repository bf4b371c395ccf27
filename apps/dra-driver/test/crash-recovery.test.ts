// A plugin killed at each step of prepare and of unprepare, then a new one started on the same
// files (as the DaemonSet restarts it): the kubelet retries what it got no answer for, and that
// retry must leave the node as if nothing had happened. The first preparer is stopped by a
// promise that never settles at the chosen step: nothing after that step runs, as after a
// SIGKILL. restart.test.ts does the same with a real process and SIGKILL between the calls.
// Power losses are played by also undoing what the driver does not sync (the CDI spec).
import { createFakeSysfs, MockAccelSysfs, type FakeSysfs } from "@mock-accel/sysfs-client";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cdiSpecPath, type CdiSpec } from "../src/cdi.ts";
import { Checkpoint, checkpointFiles } from "../src/checkpoint.ts";
import { claimUid } from "../src/claim-uid.ts";
import type { AllocatedResult, ClaimSource } from "../src/claims.ts";
import { DeviceInventory } from "../src/inventory.ts";
import { MemoryLogger } from "../src/logger.ts";
import { ClaimPreparer, type PrepareStep } from "../src/prepare.ts";

const DRIVER = "mock-accel.example.com";
const NODE = "node-a";
const UID = "5e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b";
const CLAIM = { namespace: "default", name: "three", uid: UID };
const DEVICES = ["mock0", "mock0-vf0", "mock0-vf1"];
const KERNEL = ["mock0", "mock0_vf0", "mock0_vf1"];

/** The API server's answer for CLAIM: the three devices, one request. */
const claims: ClaimSource = {
  async allocation(claim): Promise<AllocatedResult[]> {
    if (claim.uid !== UID) throw new Error(`unexpected claim ${claim.uid}`);
    return DEVICES.map((device) => ({ request: "all", pool: NODE, device, adminAccess: false }));
  },
};

let dir: string;
let fake: FakeSysfs;
let client: MockAccelSysfs;
let cdiDir: string;
let checkpointPath: string;
let specPath: string;
/** Every client a test made, closed afterwards (each keeps attribute files open). */
const clients: MockAccelSysfs[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "dra-crash-"));
  fake = await createFakeSysfs(join(dir, "sys"), [{ totalVfs: 2, enabledVfs: 2 }, {}]);
  client = new MockAccelSysfs({ root: fake.root });
  clients.push(client);
  cdiDir = join(dir, "cdi");
  checkpointPath = join(dir, "plugin", "checkpoint.json");
  specPath = cdiSpecPath(cdiDir, DRIVER, claimUid(UID));
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await fake.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** A plugin as started by the DaemonSet: the checkpoint loaded from the file, nothing else remembered. */
function start(afterStep?: (step: PrepareStep) => void | Promise<void>): ClaimPreparer {
  const log = new MemoryLogger();
  const sysfs = new MockAccelSysfs({ root: fake.root });
  clients.push(sysfs);
  const inventory = new DeviceInventory(sysfs, DRIVER, log);
  const checkpoint = Checkpoint.load(checkpointPath, DRIVER);
  return new ClaimPreparer({ driverName: DRIVER, nodeName: NODE, cdiDir, checkpoint, inventory, claims, log, afterStep });
}

/** Starts a plugin that stops for good at the `nth` time it finishes `at`; resolves once it has. */
function startAndKillAt(at: PrepareStep, nth: number): { preparer: ClaimPreparer; killed: Promise<void> } {
  let seen = 0;
  let reached!: () => void;
  const killed = new Promise<void>((resolve) => (reached = resolve));
  const preparer = start((step) => {
    if (step !== at || ++seen !== nth) return;
    reached();
    return new Promise<void>(() => {});
  });
  return { preparer, killed };
}

const bits = async (): Promise<number[]> => Promise.all(KERNEL.map(async (k) => (await client.get(k)).read("status")));
const recorded = (): string[] => Object.keys(Checkpoint.load(checkpointPath, DRIVER).claims());
/** Both files' bytes: every write of a version changes them (its generation, at least). */
const checkpointBytes = (): string[] => checkpointFiles(checkpointPath).map((f) => (existsSync(f) ? readFileSync(f, "utf8") : ""));
const cdiFiles = (): string[] => (existsSync(cdiDir) ? readdirSync(cdiDir) : []);

async function prepareOk(p: ClaimPreparer): Promise<void> {
  const res = await p.prepare({ claims: [CLAIM] });
  expect(res.claims[UID]!.error).toBe("");
  expect(res.claims[UID]!.devices.map((d) => d.deviceName)).toEqual(DEVICES);
}

async function unprepareOk(p: ClaimPreparer): Promise<void> {
  expect((await p.unprepare({ claims: [CLAIM] })).claims[UID]).toEqual({ error: "" });
}

/** What a prepared claim leaves: every bit set, a whole spec naming every device, the record. */
async function expectPrepared(): Promise<void> {
  expect(await bits()).toEqual([1, 1, 1]);
  const spec = JSON.parse(readFileSync(specPath, "utf8")) as CdiSpec;
  expect(spec.devices.map((d) => d.containerEdits.deviceNodes![0]!.path)).toEqual(KERNEL.map((k) => `/dev/${k}`));
  expect(recorded()).toEqual([UID]);
}

/** What an unprepared (or never prepared) claim leaves: nothing. */
async function expectClean(): Promise<void> {
  expect(await bits()).toEqual([0, 0, 0]);
  expect(cdiFiles()).toEqual([]);
  expect(recorded()).toEqual([]);
  // The checkpoint's two files and nothing else (no staging file).
  const own = checkpointFiles(checkpointPath).map((f) => basename(f));
  expect(readdirSync(join(dir, "plugin")).filter((f) => !own.includes(f))).toEqual([]);
}

describe("killed during prepare", () => {
  const points: [PrepareStep, number, string][] = [
    ["recorded", 1, "after the record, before any device"],
    ["device-marked", 1, "after the first of three STATUS bits"],
    ["device-marked", 3, "after the last STATUS bit, before the CDI spec"],
    ["cdi-written", 1, "after the CDI spec, before answering"],
  ];
  for (const [at, nth, when] of points) {
    it(`${when}: a restarted plugin unprepares everything`, async () => {
      const { preparer, killed } = startAndKillAt(at, nth);
      void preparer.prepare({ claims: [CLAIM] });
      await killed;
      expect(recorded()).toEqual([UID]);
      await unprepareOk(start());
      await expectClean();
    });

    it(`${when}: the kubelet's retried prepare completes it, and unprepare then cleans up`, async () => {
      const { preparer, killed } = startAndKillAt(at, nth);
      void preparer.prepare({ claims: [CLAIM] });
      await killed;
      const again = start();
      await prepareOk(again);
      await expectPrepared();
      await unprepareOk(again);
      await expectClean();
    });
  }

  it("after the CDI spec, then a power loss that tore the unsynced spec: the retried prepare writes it whole", async () => {
    const { preparer, killed } = startAndKillAt("cdi-written", 1);
    void preparer.prepare({ claims: [CLAIM] });
    await killed;
    writeFileSync(specPath, "");
    await prepareOk(start());
    await expectPrepared();
  });
});

describe("a prepared claim after a restart", () => {
  it("is prepared again when the kubelet asks (its restart forgets what was prepared), rewriting a spec a power loss tore", async () => {
    await prepareOk(start());
    await expectPrepared();
    // Power loss: the record was synced, the spec was not.
    writeFileSync(specPath, "{");
    await prepareOk(start());
    await expectPrepared();
  });

  it("is prepared again when a power loss took its spec away, and the record on disk is not rewritten", async () => {
    await prepareOk(start());
    const before = checkpointBytes();
    rmSync(specPath);
    await prepareOk(start());
    await expectPrepared();
    expect(checkpointBytes()).toEqual(before);
  });

  it("is answered from memory by the plugin that prepared it, touching no file", async () => {
    const p = start();
    await prepareOk(p);
    const before = [...checkpointBytes(), statSync(specPath).ino];
    await prepareOk(p);
    expect([...checkpointBytes(), statSync(specPath).ino]).toEqual(before);
  });
});

describe("killed during unprepare", () => {
  const points: [PrepareStep, number, string][] = [
    ["device-cleared", 1, "after the first of three STATUS bits is cleared"],
    ["device-cleared", 3, "after the last STATUS bit, before the CDI spec is removed"],
    ["cdi-removed", 1, "after the CDI spec is removed, before the record is deleted"],
  ];
  for (const [at, nth, when] of points) {
    it(`${when}: the kubelet's retried unprepare finishes it`, async () => {
      await prepareOk(start());
      const { preparer, killed } = startAndKillAt(at, nth);
      void preparer.unprepare({ claims: [CLAIM] });
      await killed;
      expect(recorded()).toEqual([UID]);
      await unprepareOk(start());
      await expectClean();
    });
  }
});
