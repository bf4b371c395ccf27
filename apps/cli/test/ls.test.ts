// `mock-accel ls` (apps/cli/src/commands/ls.ts) run as a user runs it, on a fake tree.
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { createFakeSysfs, type FakeSysfs, type FakeTopology } from "@mock-accel/sysfs-client";

const repo = join(import.meta.dirname, "../../..");

const tempDir = () => mkdtemp(join(tmpdir(), "mock-accel-ls-"));
const made: FakeSysfs[] = [];
afterEach(async () => {
  for (const f of made.splice(0)) await f.cleanup();
});
async function fakeSysfs(topology: FakeTopology): Promise<FakeSysfs> {
  const fake = await createFakeSysfs(await tempDir(), topology);
  made.push(fake);
  return fake;
}
function ls(...args: string[]) {
  const r = spawnSync("bun", [join(repo, "apps/cli/src/main.ts"), "ls", ...args], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("mock-accel ls", () => {
  test("a table of devices: name, kind, PCI, NUMA, memory, uuid, status, VFs", async () => {
    const fake = await fakeSysfs([{ numaNode: 1, totalVfs: 2, enabledVfs: 1, uuid: "6f1c2a52-0d4e-4c1b-9a57-2b8f0e6d1a01" }]);
    await fake.setAttribute("mock0", "status", 1);
    const { code, stdout } = ls("--root", fake.root);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split("\n").map((l) => l.split(/\s{2,}/));
    expect(lines[0]).toEqual(["NAME", "KIND", "PCI", "NUMA", "MEMORY", "UUID", "STATUS", "VFS"]);
    expect(lines[1]).toEqual(["mock0", "PF", "0000:21:00.0", "1", "16 GiB", "6f1c2a52-0d4e-4c1b-9a57-2b8f0e6d1a01", "0x00000001", "1/2"]);
    expect(lines[2]).toEqual(["mock0_vf0", "VF", "0000:21:00.1", "1", "2 GiB", expect.stringMatching(/^[0-9a-f-]{36}$/), "0x00000000", "vf0 of mock0"]);
  });

  test("--json: every attribute typed, 64-bit values as strings", async () => {
    const fake = await fakeSysfs([{ totalVfs: 1, enabledVfs: 1 }]);
    const { code, stdout } = ls("--root", fake.root, "--json");
    expect(code).toBe(0);
    const devices = JSON.parse(stdout) as { name: string; kind: string; pf: unknown; attributes: Record<string, unknown> }[];
    expect(devices.map((d) => d.name)).toEqual(["mock0", "mock0_vf0"]);
    expect(devices[0]!.attributes).toMatchObject({ memory_size: "17179869184", fw_version: { major: 1, minor: 2, patch: 0 }, sriov_totalvfs: 1, wordlist_loaded: true });
    expect(devices[1]).toMatchObject({ kind: "vf", pf: { name: "mock0", pciAddress: "0000:11:00.0" }, attributes: { vf_index: 0 } });
  });

  test("--dra: the ResourceSlice entries, named as DNS labels", async () => {
    const fake = await fakeSysfs([{ totalVfs: 1, enabledVfs: 1 }]);
    const { code, stdout } = ls("--root", fake.root, "--dra", "--domain", "accel.example.org");
    expect(code).toBe(0);
    const entries = JSON.parse(stdout) as { name: string; capacity: Record<string, unknown> }[];
    expect(entries.map((e) => e.name)).toEqual(["mock0", "mock0-vf0"]);
    expect(entries[1]!.capacity).toEqual({ "accel.example.org/memory": { value: "2Gi" } });
  });

  test("errors name the path: no driver, and a file that does not parse (the rest still shows)", async () => {
    const empty = await tempDir();
    const none = ls("--root", empty);
    await rm(empty, { recursive: true });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`${join(empty, "class/mock-accel")} does not exist`);

    const fake = await fakeSysfs([{}]);
    await writeFile(join(fake.fn("mock0").classPath, "memory_size"), "garbage\n");
    const bad = ls("--root", fake.root);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${join(fake.fn("mock0").classPath, "memory_size")}: cannot parse "garbage\\n" as decimal`);
    expect(bad.stdout).toMatch(/mock0\s+PF\s+0000:11:00\.0\s+0\s+error\s+[0-9a-f-]{36}\s+0x00000000/);
  });

  test("bad options exit 2", () => {
    expect(ls("--bogus").code).toBe(2);
    expect(ls("--json", "--dra").code).toBe(2);
  });
});
