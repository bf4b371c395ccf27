// Class device names follow the spec's sysfs.device_names rule both ways: what the fake tree
// and the driver name a device parses back to its PF number and VF index, and nothing else
// parses. (codegen/test/c-names.test.ts shows the driver's printf formats give the same names.)
import { describe, expect, test } from "vitest";
import { MockAccelSysfs, parseDeviceName, pfDeviceName, vfDeviceName } from "@mock-accel/sysfs-client";
import { fakeSysfs } from "./fake-root.ts";

describe("device names", () => {
  test("PF and VF names parse back to their numbers", () => {
    for (const pf of [0, 1, 9, 10, 123]) {
      expect(parseDeviceName(pfDeviceName(pf))).toEqual({ pf, vf: null });
      for (const vf of [0, 6, 10]) expect(parseDeviceName(vfDeviceName(pf, vf))).toEqual({ pf, vf });
    }
  });

  test("other names do not parse", () => {
    const pf = pfDeviceName(1);
    for (const name of ["", "x", pf.replace("1", "01"), `${pf}x`, `x${pf}`, vfDeviceName(1, 2).replace("2", "-2"), pf.replace("1", "")]) {
      expect(parseDeviceName(name), name).toBeNull();
    }
  });

  test("the fake tree names its devices by the rule, and discovery reads VF indexes from the names", async () => {
    const fake = await fakeSysfs([{}, { totalVfs: 2, enabledVfs: 2 }]);
    const devices = await new MockAccelSysfs({ root: fake.root }).discover();
    expect(devices.map((d) => [d.name, d.vfIndex])).toEqual([
      [pfDeviceName(0), null],
      [pfDeviceName(1), null],
      [vfDeviceName(1, 0), 0],
      [vfDeviceName(1, 1), 1],
    ]);
  });
});
