// The generated sysfs code builds as a kernel module with the kernel's own flags: W=1 with
// no warnings, and sparse (C=2) clean. The module is the committed generated files plus a
// test-only core (test/c/kbuild/test_core.c); the real core lives in packages/kernel-driver.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { assertAvailable } from "@mock-accel/testkit";
import { loadSpecFile } from "../src/load/load-spec.ts";
import { emitCHeader } from "../src/emit/emit-c-header.ts";
import { emitCSysfs } from "../src/emit/emit-c-sysfs.ts";
import { diagnostics, kbuild, kernelReq, KERNEL_DRIVER, REPO_ROOT, sparseReq, tempDir, writeTree } from "./c/toolchain.ts";
import { existsSync } from "node:fs";

describe.skipIf(kernelReq.skip)("generated sysfs code in a kbuild module", () => {
  test("builds with W=1 and the compiler prints no warning", () => {
    assertAvailable(kernelReq);
    const r = kbuild(KERNEL_DRIVER, ["W=1"]);
    try {
      const out = r.stdout + r.stderr;
      expect(r.status, out).toBe(0);
      expect(diagnostics(out)).toEqual([]);
      expect(existsSync(r.ko)).toBe(true);
    } finally {
      rmSync(r.dir, { recursive: true, force: true });
    }
  });

  test.skipIf(sparseReq.skip)("sparse (C=2) reports nothing, __iomem included", () => {
    assertAvailable(kernelReq);
    assertAvailable(sparseReq);
    const r = kbuild(KERNEL_DRIVER, ["W=1", "C=2"]);
    try {
      const out = r.stdout + r.stderr;
      expect(r.status, out).toBe(0);
      // Proof that sparse ran on the generated file, not just that make was quiet.
      expect(out).toMatch(/CHECK\s+\S*mock_accel_sysfs\.c/);
      expect(diagnostics(out)).toEqual([]);
    } finally {
      rmSync(r.dir, { recursive: true, force: true });
    }
  });

  test("a driver attribute the core does not implement fails to link (modpost: undefined)", () => {
    assertAvailable(kernelReq);
    const loaded = loadSpecFile(join(REPO_ROOT, "spec/registers.yaml"));
    if (!loaded.ok) throw new Error("spec does not load");
    const model = structuredClone(loaded.model);
    const numa = model.attributes.find((a) => a.name === "numa_node")!;
    model.attributes.push({ ...numa, name: "temperature_limit", description: "added by the test, no implementation" });
    const ctx = { specPath: "spec/registers.yaml" };
    const tree = tempDir("driver-attr");
    writeTree(tree, [...emitCHeader(model, ctx), ...emitCSysfs(model, ctx)]);
    const r = kbuild(join(tree, "packages/kernel-driver"), []);
    try {
      expect(r.status).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/mock_accel_temperature_limit_show.*undefined/);
    } finally {
      rmSync(r.dir, { recursive: true, force: true });
      rmSync(tree, { recursive: true, force: true });
    }
  });
});
