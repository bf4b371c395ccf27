// The layout description a guest test compares with the real driver: the shell script (for
// the guest) and describeLayout() (for a fake tree) must print the same lines.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { assertAvailable, requirement } from "@mock-accel/testkit";
import { LAYOUT_SCRIPT, describeLayout } from "@mock-accel/sysfs-client";
import { fakeSysfs } from "./fake-root.ts";

const BUSYBOX = "/bin/busybox";
const busybox = requirement("busybox", existsSync(BUSYBOX), "apt-get install busybox-static");

/** Runs LAYOUT_SCRIPT with `sh` (or `busybox sh` with only busybox applets on PATH). */
const sh = (root: string, busyboxBin?: string) => {
  const [cmd, args] = busyboxBin ? [BUSYBOX, ["sh", "-s", "--", root]] : ["sh", ["-s", "--", root]];
  const r = spawnSync(cmd, args, { input: LAYOUT_SCRIPT, encoding: "utf8", env: busyboxBin ? { PATH: busyboxBin } : process.env });
  expect(r.stderr).toBe("");
  return r.stdout.trimEnd().split("\n");
};

describe("describeLayout() and LAYOUT_SCRIPT", () => {
  test("agree on a fake tree with a PF, enabled and disabled VFs, and a second NUMA node", async () => {
    const fake = await fakeSysfs([{ totalVfs: 2, enabledVfs: 1 }, { numaNode: 1 }]);
    const lines = await describeLayout(fake.root);
    expect(sh(fake.root)).toEqual(lines);
    expect(lines).toContain("class mock0_vf0 -> ../../devices/pci0000:10/0000:10:00.0/0000:11:00.1/mock-accel/mock0_vf0");
    expect(lines).toContain("classdev mock0 device -> ../../../0000:11:00.0");
    expect(lines).toContain("classdev mock0 mode sriov_numvfs 644");
    expect(lines).toContain("classdev mock0_vf0 mode passphrase_generate 200");
    expect(lines).toContain("pci 0000:11:00.2 vendor=0x1de5 device=0x0002 class=0x120000 subsystem_vendor=0x0000 subsystem_device=0x0000 revision=0x01 numa_node=0");
    expect(lines).toContain("pci 0000:21:00.0 driver -> ../../../../bus/pci/drivers/mock-accel");
    expect(lines).toContain(
      "pci 0000:11:00.1 uevent DRIVER=mock-accel PCI_CLASS=120000 PCI_ID=1DE5:0002 PCI_SUBSYS_ID=0000:0000 PCI_SLOT_NAME=0000:11:00.1 MODALIAS=pci:v00001DE5d00000002sv00000000sd00000000bc12sc00i00",
    );
    expect(lines.filter((l) => l.startsWith("class "))).toHaveLength(3);
  });

  test.skipIf(busybox.skip)("the script needs nothing but busybox applets (the guest's initramfs)", async () => {
    assertAvailable(busybox);
    const fake = await fakeSysfs([{ totalVfs: 1, enabledVfs: 1 }]);
    const bin = await mkdtemp(join(tmpdir(), "mock-accel-busybox-"));
    try {
      for (const applet of ["ls", "readlink", "stat", "grep", "cat"]) await symlink(BUSYBOX, join(bin, applet));
      expect(sh(fake.root, bin)).toEqual(await describeLayout(fake.root));
    } finally {
      await rm(bin, { recursive: true });
    }
  });

  test("a drift shows up as a differing line (a missing link, a mode)", async () => {
    const a = await fakeSysfs([{}]);
    const b = await fakeSysfs([{}]);
    const { chmod } = await import("node:fs/promises");
    await chmod(`${b.fn("mock0").classPath}/status`, 0o444);
    const [la, lb] = [await describeLayout(a.root), await describeLayout(b.root)];
    expect(lb.filter((l) => !la.includes(l))).toEqual(["classdev mock0 mode status 444"]);
  });
});
