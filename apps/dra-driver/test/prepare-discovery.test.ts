// A claim's devices are found without discovering the sysfs tree once per device (issue 20:
// discovery dominated a 4-device prepare): at most one discovery, none once the names are known,
// and a stale name map still never hands out a device that is gone.
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

async function preparerOver(topology: Parameters<typeof createFakeSysfs>[1], names: string[]) {
  const dir = mkdtempSync(join(tmpdir(), "dra-driver-discovery-"));
  dirs.push(dir);
  const fake = await createFakeSysfs(join(dir, "sys"), topology);
  const sysfs = new MockAccelSysfs({ root: fake.root });
  const counter = { discoveries: 0 };
  const discover = sysfs.discover.bind(sysfs);
  sysfs.discover = (...args) => {
    counter.discoveries++;
    return discover(...args);
  };
  const claims: ClaimSource = { allocation: async () => names.map((device) => ({ request: "all", pool: NODE, device, adminAccess: false })) };
  const preparer = new ClaimPreparer({
    driverName: DRIVER, nodeName: NODE, cdiDir: join(dir, "cdi"),
    checkpoint: Checkpoint.load(join(dir, "checkpoint.json"), DRIVER),
    inventory: new DeviceInventory(sysfs, DRIVER, new MemoryLogger()), claims, log: new MemoryLogger(),
  });
  return { fake, sysfs, counter, preparer };
}

const claim = { namespace: "default", name: "four", uid: "0b0c4a9e-6f7e-4c1e-9d55-5a8f1f3f2a10" };
const kernelNames = ["mock0", "mock0_vf0", "mock0_vf1", "mock0_vf2"];

test("a 4-device claim is prepared with one discovery, then unprepared and prepared again with none", async () => {
  const names = ["mock0", "mock0-vf0", "mock0-vf1", "mock0-vf2"];
  const { fake, sysfs, counter, preparer } = await preparerOver([{ totalVfs: 3, enabledVfs: 3 }], names);

  const prepared = await preparer.prepare({ claims: [claim] });
  expect(prepared.claims[claim.uid]!.error).toBe("");
  expect(prepared.claims[claim.uid]!.devices.map((d) => d.deviceName)).toEqual(names);
  expect(counter.discoveries).toBe(1);
  for (const n of kernelNames) expect(await (await sysfs.get(n)).read("status")).toBe(1);

  const unprepared = await preparer.unprepare({ claims: [claim] });
  expect(unprepared.claims[claim.uid]!.error).toBe("");
  for (const n of kernelNames) expect(await (await sysfs.get(n)).read("status")).toBe(0);
  expect((await preparer.prepare({ claims: [claim] })).claims[claim.uid]!.error).toBe("");
  expect(counter.discoveries).toBe(1);
  await fake.cleanup();
});

test("a device gone since the last discovery is reported absent, not taken from the name map", async () => {
  const { fake, counter, preparer } = await preparerOver([{ totalVfs: 3, enabledVfs: 3 }], ["mock0", "mock0-vf2"]);
  expect((await preparer.prepare({ claims: [claim] })).claims[claim.uid]!.error).toBe("");
  expect((await preparer.unprepare({ claims: [claim] })).claims[claim.uid]!.error).toBe("");
  await fake.enableVfs("mock0", 2);
  const res = await preparer.prepare({ claims: [claim] });
  expect(res.claims[claim.uid]!.error).toMatch(/device mock0-vf2 is not present on node/);
  expect(counter.discoveries).toBe(2);
  await fake.cleanup();
});
