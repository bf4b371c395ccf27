// The TypeScript side of the Go/TypeScript parity check: the Go client's test
// (clients/go/mockaccel/fixture_test.go) reads its own fake tree of the same topology and compares
// against the same fixture, so the two clients see identical devices and DRA attributes.
import { readFileSync } from "node:fs";
import { readFile, realpath } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { ATTRIBUTE_NAMES, ATTRIBUTES, MockAccelSysfs, dnsLabelName, toDeviceAttributes, type FakePf, type FakeVf, type ReadableAttributeName } from "@mock-accel/sysfs-client";
import { fakeSysfs } from "./fake-root.ts";

const FIXTURE = fileURLToPath(new URL("../../../clients/go/mockaccel/testdata/fake-tree.json", import.meta.url));

interface FixtureVf {
  uuid?: string;
  memorySize?: number;
  capabilities?: number;
  fwVersion?: string;
}
interface FixturePf extends FixtureVf {
  name?: string;
  numaNode?: number;
  totalVfs?: number;
  enabledVfs?: number;
  vfs?: FixtureVf[];
}

function vf(v: FixtureVf): FakeVf {
  return {
    ...(v.uuid !== undefined ? { uuid: v.uuid } : {}),
    ...(v.memorySize !== undefined ? { memorySize: BigInt(v.memorySize) } : {}),
    ...(v.capabilities !== undefined ? { capabilities: v.capabilities } : {}),
    ...(v.fwVersion !== undefined ? { fwVersion: v.fwVersion } : {}),
  };
}

test("the TypeScript client sees the fixture's devices and DRA attributes, as the Go client does", async () => {
  const fixture = JSON.parse(readFileSync(FIXTURE, "utf8")) as { topology: FixturePf[]; devices: unknown[] };
  expect(fixture.devices.length).toBeGreaterThan(0);
  const topology: FakePf[] = fixture.topology.map((p) => ({
    ...vf(p),
    ...(p.name !== undefined ? { name: p.name } : {}),
    ...(p.numaNode !== undefined ? { numaNode: p.numaNode } : {}),
    ...(p.totalVfs !== undefined ? { totalVfs: p.totalVfs } : {}),
    ...(p.enabledVfs !== undefined ? { enabledVfs: p.enabledVfs } : {}),
    ...(p.vfs !== undefined ? { vfs: p.vfs.map(vf) } : {}),
  }));
  const fake = await fakeSysfs(topology);
  const realRoot = await realpath(fake.root);
  const devices = await new MockAccelSysfs({ root: fake.root }).discover();
  const got = await Promise.all(
    devices.map(async (d) => ({
      name: d.name,
      kind: d.kind,
      pciAddress: d.pciAddress,
      numaNode: d.numaNode,
      vendorId: d.vendorId,
      deviceId: d.deviceId,
      classCode: d.classCode,
      pcieRoot: d.pcieRoot,
      vfIndex: d.vfIndex,
      pf: d.pf,
      path: relative(realRoot, d.path),
      pciPath: relative(realRoot, d.pciPath),
      devicePath: d.devicePath,
      resourceSliceName: dnsLabelName(d),
      dra: await toDeviceAttributes(d),
      // Every readable attribute file's text: the two fakes write the same files.
      texts: Object.fromEntries(
        await Promise.all(
          ATTRIBUTE_NAMES.filter((n) => ATTRIBUTES[n].readable && d.has(n as ReadableAttributeName)).map(async (n) => [n, await readFile(join(d.path, n), "utf8")] as const),
        ),
      ),
    })),
  );
  expect(got).toEqual(fixture.devices);
});
