// The module builds against Debian's kernel headers with no warning from gcc at W=1 and none
// from sparse, and building never leaves objects in the source tree.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertAvailable } from "@mock-accel/testkit";
import { buildModule, DRIVER_DIR } from "../src/index.ts";
import { headers, kernelHeaders, sparse } from "./requirements.ts";

function buildArtifactsIn(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter(
    (f) => !f.includes("node_modules") && /(\.o|\.ko|\.mod|\.mod\.c|\.cmd|Module\.symvers|modules\.order)$/.test(f),
  );
}

describe.skipIf(kernelHeaders.skip)(`mock_accel.ko against ${headers?.kdir ?? "Debian kernel headers"}`, () => {
  it.skipIf(sparse.skip)("builds with W=1 and sparse (C=2) in one pass with no warning from either, and installs", async () => {
    assertAvailable(kernelHeaders);
    assertAvailable(sparse);
    // One build runs both checkers (they share the machine with everyone's tests).
    const r = await buildModule({ kdir: headers!.kdir, makeArgs: ["W=1", "C=2"] });
    try {
      expect(r.output).toContain("mock_accel.ko");
      expect(r.ok, r.output).toBe(true);
      // sparse ran over every C file: "CHECK" lines name them.
      for (const f of ["mock_accel_main.c", "mock_accel_cdev.c", "mock_accel_wordlist.c", "mock_accel_attrs.c", "mock_accel_sysfs.c"]) {
        expect(r.output).toMatch(new RegExp(`CHECK\\s+\\S*${f.replace(".", "\\.")}`));
      }
      expect(r.warnings).toEqual([]);
      // The same tree installs the module and the firmware where the kernel looks for them.
      const root = mkdtempSync(join(tmpdir(), "mock-accel-install-"));
      try {
        const mods = spawnSync("make", ["-C", r.dir, `KDIR=${headers!.kdir}`, "modules_install", `INSTALL_MOD_PATH=${root}`], { encoding: "utf8" });
        expect(mods.status, mods.stdout + mods.stderr).toBe(0);
        const fw = spawnSync("make", ["-C", r.dir, "firmware_install", `DESTDIR=${root}`], { encoding: "utf8" });
        expect(fw.status, fw.stdout + fw.stderr).toBe(0);
        const installed = readdirSync(root, { recursive: true, encoding: "utf8" }).sort();
        expect(installed).toContain(`lib/modules/${headers!.version}/extra/mock_accel.ko`);
        expect(installed).toContain("lib/firmware/mock-accel-wordlist.txt");
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    } finally {
      rmSync(r.dir, { recursive: true, force: true });
    }
  });

  it("compiles the fallbacks for older kernels (no get_random_u32_below) without warnings", async () => {
    assertAvailable(kernelHeaders);
    const r = await buildModule({ kdir: headers!.kdir, makeArgs: ["W=1", "MOCK_ACCEL_COMPAT_FALLBACKS=1"] });
    try {
      expect(r.ok, r.output).toBe(true);
      expect(r.warnings).toEqual([]);
    } finally {
      rmSync(r.dir, { recursive: true, force: true });
    }
  });

  it("leaves no build products in the source tree", () => {
    assertAvailable(kernelHeaders);
    expect(buildArtifactsIn(DRIVER_DIR)).toEqual([]);
  });

  it("fails with a hint naming the package when the kernel tree is missing", async () => {
    assertAvailable(kernelHeaders);
    const r = await buildModule({ kdir: "/nonexistent/linux-headers" });
    expect(r.ok).toBe(false);
    expect(r.output).toContain("no kernel build tree at /nonexistent/linux-headers");
    expect(r.output).toContain("apt-get install linux-headers-");
  });
});
