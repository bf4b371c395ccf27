// The hand-written build and install files name what the spec names: Kbuild and dkms.conf build
// the module called device.name, and the firmware they install is the spec's firmware file.
// (Kbuild, Makefile and DKMS read these files without Bun, so they are checked, not generated.)
// The uapi header, a stable ABI, is checked by the driver's static_asserts against the spec.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { assertAvailable } from "@mock-accel/testkit";
import { DRIVER_DIR, FIRMWARE_NAME, FIRMWARE_PATH, MODULE_NAME } from "../src/index.ts";
import { headers, kernelHeaders } from "./requirements.ts";

const read = (f: string) => readFileSync(join(DRIVER_DIR, f), "utf8");

describe("build files agree with the spec", () => {
  test("Kbuild builds <device.name>.ko from <device.name>-y", () => {
    const kbuild = read("Kbuild");
    expect(kbuild).toMatch(new RegExp(`^obj-m := ${MODULE_NAME}\\.o$`, "m"));
    expect(kbuild).toMatch(new RegExp(`^${MODULE_NAME}-y := `, "m"));
  });

  test("dkms.conf installs the module Kbuild builds", () => {
    expect(read("dkms.conf")).toMatch(new RegExp(`^BUILT_MODULE_NAME\\[0\\]="${MODULE_NAME}"$`, "m"));
  });

  test("the Makefile and the DKMS post-install script install the spec's firmware file", () => {
    expect(FIRMWARE_PATH.endsWith(`/firmware/${FIRMWARE_NAME}`)).toBe(true);
    const installs = [...read("Makefile").matchAll(/mock[\w.-]*wordlist[\w.-]*/g), ...read("scripts/dkms-post-install.sh").matchAll(/mock[\w.-]*wordlist[\w.-]*/g)].map((m) => m[0]);
    expect(installs.length).toBeGreaterThan(0);
    expect(new Set(installs)).toEqual(new Set([FIRMWARE_NAME]));
  });
});

describe.skipIf(kernelHeaders.skip)("the hand-written uapi header stays equal to the spec", () => {
  test("a uapi limit that drifts from the spec's PASSPHRASE_* registers fails the build", () => {
    assertAvailable(kernelHeaders);
    const dir = mkdtempSync(join(tmpdir(), "mock-accel-uapi-drift-"));
    try {
      for (const name of ["Kbuild", "include", "src"]) cpSync(join(DRIVER_DIR, name), join(dir, name), { recursive: true });
      const uapi = join(dir, "include/uapi/mock_accel.h");
      const text = readFileSync(uapi, "utf8");
      const drifted = text.replace(/^(#define MOCK_ACCEL_PASSPHRASE_MAX_WORDS) (\d+)$/m, (_, def: string, n: string) => `${def} ${Number(n) + 1}`);
      expect(drifted).not.toBe(text);
      const build = (): { status: number | null; out: string } => {
        const r = spawnSync("make", ["-C", headers!.kdir, `M=${dir}`, "src/mock_accel_cdev.o"], { encoding: "utf8", env: { ...process.env, LC_ALL: "C" } });
        return { status: r.status, out: r.stdout + r.stderr };
      };
      const good = build();
      expect(good.status, good.out).toBe(0);
      writeFileSync(uapi, drifted);
      const bad = build();
      expect(bad.status).not.toBe(0);
      expect(bad.out).toMatch(/MOCK_ACCEL_PASSPHRASE_MAX_WORDS == MOCK_ACCEL_PASSPHRASE_LENGTH_WRITE_MAX/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
