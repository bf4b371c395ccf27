// The driver image's cache key must cover every file compiled into the driver: a workspace
// package the driver imports but the key leaves out would keep serving a stale image.
import { join, resolve } from "node:path";
import { expect, test } from "vitest";
import { DRA_DRIVER_DIR, driverSources } from "../src/images/driver.ts";

test("driverSources() lists every workspace source in the driver's bundle", async () => {
  const built = await Bun.build({ entrypoints: [join(DRA_DRIVER_DIR, "src", "main.ts")], target: "bun", metafile: true });
  expect(built.success).toBe(true);
  const inputs = Object.keys(built.metafile!.inputs)
    // Metafile paths are relative to the working directory.
    .map((p) => resolve(p))
    .filter((p) => !p.includes("/node_modules/") && p.endsWith(".ts"));
  expect(inputs.length).toBeGreaterThan(10);
  const listed = new Set(driverSources());
  expect(inputs.filter((p) => !listed.has(p))).toEqual([]);
});
