// A claim's devices are found with one discovery of the sysfs tree per prepare and per
// unprepare, not one per device (issue 20: discovery dominated a 4-device prepare).
import { createFakeSysfs, MockAccelSysfs } from "@mock-accel/sysfs-client";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, test } from "vitest";
import { Checkpoint } from "../src/checkpoint.ts";
import type { ClaimSource } from "../src/claims.ts";
import { DeviceInventory } from "../src/inventory.ts";
import { MemoryLogger } from "../src/logger.ts";
import { ClaimPreparer } from "../src/prepare.ts";
import { DRIVER, NODE } from "./harness.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

test("prepare and unprepare of a 4-device claim each discover the tree once", async () => {
  const dir = mkdtempSync(join(tmpdir(), "dra-driver-discovery-"));
  dirs.push(dir);
  const fake = await createFakeSysfs(join(dir, "sys"), [{ totalVfs: 3, enabledVfs: 3 }]);
  const sysfs = new MockAccelSysfs({ root: fake.root });
  let discoveries = 0;
  const discover = sysfs.discover.bind(sysfs);
  sysfs.discover = (...args) => {
    discoveries++;
    return discover(...args);
  };
  const names = ["mock0", "mock0-vf0", "mock0-vf1", "mock0-vf2"];
  const claims: ClaimSource = { allocation: async () => names.map((device) => ({ request: "all", pool: NODE, device, adminAccess: false })) };
  const preparer = new ClaimPreparer({
    driverName: DRIVER, nodeName: NODE, cdiDir: join(dir, "cdi"),
    checkpoint: Checkpoint.load(join(dir, "checkpoint.json"), DRIVER),
    inventory: new DeviceInventory(sysfs, DRIVER, new MemoryLogger()), claims, log: new MemoryLogger(),
  });
  const claim = { namespace: "default", name: "four", uid: "0b0c4a9e-6f7e-4c1e-9d55-5a8f1f3f2a10" };

  const prepared = await preparer.prepare({ claims: [claim] });
  expect(prepared.claims[claim.uid]!.error).toBe("");
  expect(prepared.claims[claim.uid]!.devices.map((d) => d.deviceName)).toEqual(names);
  expect(discoveries).toBe(1);
  for (const n of ["mock0", "mock0_vf0", "mock0_vf1", "mock0_vf2"]) expect(await (await sysfs.get(n)).read("status")).toBe(1);

  discoveries = 0;
  const unprepared = await preparer.unprepare({ claims: [claim] });
  expect(unprepared.claims[claim.uid]!.error).toBe("");
  expect(discoveries).toBe(1);
  for (const n of ["mock0", "mock0_vf0", "mock0_vf1", "mock0_vf2"]) expect(await (await sysfs.get(n)).read("status")).toBe(0);
  await fake.cleanup();
});
