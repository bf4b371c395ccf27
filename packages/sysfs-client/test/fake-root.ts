// A fresh fake sysfs tree per test, removed afterwards.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { createFakeSysfs, type FakeSysfs, type FakeSysfsOptions, type FakeTopology } from "@mock-accel/sysfs-client";

const made: FakeSysfs[] = [];
afterEach(async () => {
  for (const f of made.splice(0)) await f.cleanup();
});

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "mock-accel-sysfs-"));
}

export async function fakeSysfs(topology: FakeTopology, options?: FakeSysfsOptions): Promise<FakeSysfs> {
  const fake = await createFakeSysfs(await tempDir(), topology, options);
  made.push(fake);
  return fake;
}
