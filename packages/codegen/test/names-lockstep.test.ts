// The names the spec gives (module, sysfs class, class device names, firmware) are the same in
// the generated C header and in the TypeScript client: a C program built with the header prints
// them (device names through the driver's printf formats), and they must equal what the client
// computes. The firmware's word count in the spec is the committed firmware file's.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { assertAvailable } from "@mock-accel/testkit";
import { loadSpecFile } from "../src/load/load-spec.ts";
import { DEVICE_NAME, FIRMWARE, pfDeviceName, SYSFS_CLASS, vfDeviceName } from "@mock-accel/sysfs-client";
import { errorsOf, miniSpec } from "./fixtures/mini-spec.ts";
import { gccReq, KERNEL_DRIVER, REPO_ROOT, run, tempDir } from "./c/toolchain.ts";

const loaded = loadSpecFile(join(REPO_ROOT, "spec/registers.yaml"));
if (!loaded.ok) throw new Error("spec/registers.yaml does not load");
const model = loaded.model;

describe("names in lock-step", () => {
  test("spec firmware.words is the line count of the committed firmware file", () => {
    const text = readFileSync(join(KERNEL_DRIVER, "firmware", model.firmware.file), "utf8");
    expect(text.endsWith("\n")).toBe(true);
    expect(text.split("\n").length - 1).toBe(model.firmware.words);
  });

  test.skipIf(gccReq.skip)("the C header's names and name formats give what the TypeScript client gives", () => {
    assertAvailable(gccReq);
    const dir = tempDir("c-names");
    try {
      writeFileSync(
        join(dir, "names.c"),
        `#include <stdio.h>
#include "mock_accel_regs.h"
int main(void)
{
	printf("%s\\n%s\\n%s\\n%u\\n", MOCK_ACCEL_MODULE_NAME, MOCK_ACCEL_SYSFS_CLASS, MOCK_ACCEL_FIRMWARE_FILE, MOCK_ACCEL_FIRMWARE_WORDS);
	printf(MOCK_ACCEL_PF_NAME_FMT "\\n", 12);
	printf(MOCK_ACCEL_VF_NAME_FMT "\\n", 12, 5U);
	return 0;
}
`,
      );
      // -Wformat (in -Wall) checks the formats against the argument types the driver passes.
      const cc = run("gcc", ["-std=c11", "-Wall", "-Wextra", "-Werror", `-I${join(KERNEL_DRIVER, "include")}`, "-o", join(dir, "names"), join(dir, "names.c")]);
      expect(cc.status, cc.stderr).toBe(0);
      const out = run(join(dir, "names"), []);
      expect(out.stdout.split("\n")).toEqual([DEVICE_NAME, SYSFS_CLASS, FIRMWARE.file, String(FIRMWARE.words), pfDeviceName(12), vfDeviceName(12, 5), ""]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("device name templates must parse back unambiguously", () => {
    const bad = (pf: string, vf: string) => errorsOf(miniSpec().replace('device_names: { pf: "mini{pf}", vf: "mini{pf}_vf{vf}" }', `device_names: { pf: "${pf}", vf: "${vf}" }`));
    expect(bad("mini{pf}", "mini{pf}_vf{vf}")).toEqual([]);
    expect(bad("mini{pf}{pf}", "mini{pf}_vf{vf}").join("\n")).toMatch(/sysfs\.device_names\.pf/);
    expect(bad("mini{pf}", "mini{pf}{vf}").join("\n")).toMatch(/sysfs\.device_names\.vf/);
    expect(bad("mini2{pf}", "mini{pf}_vf{vf}").join("\n")).toMatch(/sysfs\.device_names\.pf/);
  });
});
