// scripts/install-qemu-vfio-user.sh as CI and `doctor` run it: quiet, one line on stdout (the
// QEMU to use), the same answer every time, and a clear message for bad usage.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { requirement, assertAvailable } from "@mock-accel/testkit";
import { findVfioUserQemu, hasVfioUserPci, INSTALL_QEMU_SCRIPT } from "../src/index.ts";

const installed = await findVfioUserQemu({ install: false });
const qemu = requirement("a QEMU with vfio-user-pci", installed !== null, `bash ${INSTALL_QEMU_SCRIPT}`);

describe("scripts/install-qemu-vfio-user.sh", () => {
  it.skipIf(qemu.skip)("prints only the path of a QEMU offering vfio-user-pci, the same on every run", async () => {
    assertAvailable(qemu);
    const runs = [1, 2].map(() => spawnSync("bash", [INSTALL_QEMU_SCRIPT], { encoding: "utf8" }));
    for (const r of runs) {
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toBe("");
      expect(r.stdout.split("\n")).toHaveLength(2); // one line and its newline
    }
    expect(runs[1]!.stdout).toBe(runs[0]!.stdout);
    const path = runs[0]!.stdout.trim();
    expect(await hasVfioUserPci(path)).toBe(true);
    const version = spawnSync(path, ["--version"], { encoding: "utf8" });
    expect(version.stdout).toMatch(/QEMU emulator version (1[1-9]|10\.[1-9])/);
  });

  it.skipIf(qemu.skip)("says what it does with -v, on stderr", () => {
    assertAvailable(qemu);
    const r = spawnSync("bash", [INSTALL_QEMU_SCRIPT, "-v"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("install-qemu-vfio-user: using ");
  });

  it("refuses an unknown argument with exit status 2, naming it", () => {
    const r = spawnSync("bash", [INSTALL_QEMU_SCRIPT, "--frobnicate"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown argument '--frobnicate'");
    expect(r.stdout).toBe("");
  });
});
