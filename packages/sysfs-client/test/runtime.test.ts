// The package must work on Node (>= 20) as well as Bun. scripts/run-tests.ts runs this suite a
// second time under Node with MOCK_ACCEL_RUNTIME=node; there the package name must resolve to
// the built dist/ (what Node users get), under Bun to src/.
import { describe, expect, test } from "vitest";
import * as viaPackageName from "@mock-accel/sysfs-client";
import * as source from "../src/index.ts";

const wanted = process.env.MOCK_ACCEL_RUNTIME === "node" ? "node" : "bun";

describe(`runtime (${wanted})`, () => {
  test(`the suite runs on ${wanted}`, () => {
    const bunVersion = (process.versions as Record<string, string | undefined>).bun;
    if (wanted === "node") {
      expect(bunVersion).toBeUndefined();
      expect(Number(process.versions.node.split(".")[0])).toBeGreaterThanOrEqual(20);
    } else expect(bunVersion).toMatch(/^\d+\.\d+/);
  });

  test(`@mock-accel/sysfs-client resolves to ${wanted === "node" ? "dist/ (the published build)" : "src/"}`, async () => {
    if (wanted === "node") {
      // @ts-ignore: dist/ exists only after `turbo build`; the import fails loudly if it is missing.
      const dist = (await import("../dist/index.js")) as typeof source;
      expect(viaPackageName.MockAccelSysfs).toBe(dist.MockAccelSysfs);
      expect(viaPackageName.MockAccelSysfs).not.toBe(source.MockAccelSysfs);
    } else {
      expect(viaPackageName.MockAccelSysfs).toBe(source.MockAccelSysfs);
    }
  });
});
