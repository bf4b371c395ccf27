// One label -> UUID rule: a device labelled "gpu0" has the same UUID whether a topology file
// names it, the device server is started with `-u gpu0`, or a fake sysfs tree is built with
// it; and a fake device given no UUID takes its class device name as the label.
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { buildDeviceConfig, uuidToCanonical } from "@mock-accel/server";
import { createFakeSysfs, MockAccelSysfs, uuidFromLabelOrCanonical } from "@mock-accel/sysfs-client";
import { allDevices, parseTopology } from "../src/load-topology.ts";
import { deviceConfigFor } from "../src/bring-up.ts";

test("the topology, the device server and the fake sysfs tree derive one UUID from one label", async () => {
  const labels = ["gpu0", "gpu0-vf0"];
  const topology = parseTopology(
    `vms:\n  - name: vm0\n    numa_nodes:\n      - node: 0\n        pfs:\n          - uuid: ${labels[0]}\n            vfs:\n              - uuid: ${labels[1]}\n`,
    "t.yaml",
  );
  const fromTopology = allDevices(topology.vms[0]!).map((d) => uuidToCanonical(deviceConfigFor(d).uuid));
  const fromServer = [
    uuidToCanonical(buildDeviceConfig({ kind: "pf", uuid: labels[0]! }).uuid),
    uuidToCanonical(buildDeviceConfig({ kind: "vf", uuid: labels[1]!, vfIndex: 0 }).uuid),
  ];

  const root = await mkdtemp(join(tmpdir(), "mock-accel-uuid-rule-"));
  const fake = await createFakeSysfs(root, [{ uuid: labels[0]!, totalVfs: 2, enabledVfs: 2, vfs: [{ uuid: labels[1]! }] }, {}]);
  try {
    const devices = await new MockAccelSysfs({ root: fake.root }).discover();
    const uuidOf = async (i: number) => (await readFile(join(devices[i]!.path, "uuid"), "utf8")).trim();
    const fromFake = [await uuidOf(0), await uuidOf(devices.findIndex((d) => d.vfIndex === 0))];

    expect(fromTopology).toEqual(fromServer);
    expect(fromFake).toEqual(fromServer);
    // Not given one, a fake device takes its name as the label.
    const unlabelled = devices.find((d) => d.kind === "pf" && d !== devices[0])!;
    expect((await readFile(join(unlabelled.path, "uuid"), "utf8")).trim()).toBe(uuidFromLabelOrCanonical(unlabelled.name).canonical);
    // A canonical UUID is taken as is everywhere.
    expect(uuidFromLabelOrCanonical(fromServer[0]!.toUpperCase()).canonical).toBe(fromServer[0]);
  } finally {
    await fake.cleanup();
  }
});
