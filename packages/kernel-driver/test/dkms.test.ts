// DKMS, the way a distribution builds the module for each installed kernel: the folder as the
// README says to copy it, `dkms build` for Debian's kernel. Private source and DKMS trees
// (--sourcetree/--dkmstree) keep the test out of /usr/src and /var/lib/dkms.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertAvailable } from "@mock-accel/testkit";
import { dkms, headers, kernelHeaders } from "./requirements.ts";

const driverDir = join(import.meta.dirname, "..");
const conf = readFileSync(join(driverDir, "dkms.conf"), "utf8");
const version = /^PACKAGE_VERSION="([^"]+)"/m.exec(conf)![1]!;
/** What a DKMS package carries: the sources kbuild needs, the generated code, the firmware. */
const SHIPPED = ["Kbuild", "Makefile", "dkms.conf", "src", "include", "firmware", "scripts"];

describe("DKMS", () => {
  it.skipIf(dkms.skip || kernelHeaders.skip)(`dkms build mock-accel/${version} for Debian's kernel gives mock_accel.ko`, () => {
    assertAvailable(dkms);
    assertAvailable(kernelHeaders);
    const root = mkdtempSync(join(tmpdir(), "mock-accel-dkms-"));
    try {
      const src = join(root, "src", `mock-accel-${version}`);
      for (const entry of SHIPPED) cpSync(join(driverDir, entry), join(src, entry), { recursive: true });
      mkdirSync(join(root, "tree"));
      const r = spawnSync(
        "dkms",
        ["build", `mock-accel/${version}`, "-k", headers!.version, "--sourcetree", join(root, "src"), "--dkmstree", join(root, "tree")],
        { encoding: "utf8", timeout: 300_000 },
      );
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      const built = join(root, "tree", "mock-accel", version, "build", "mock_accel.ko");
      const logged = join(root, "tree", "mock-accel", version, headers!.version, "x86_64", "module", "mock_accel.ko");
      expect(existsSync(built) || existsSync(logged), `no mock_accel.ko under ${join(root, "tree")}`).toBe(true);
      // The make log DKMS keeps must be as clean as our own build. dkms 3.0.10 cleans build/
      // after a successful build and keeps the log next to the installed-to-be module.
      const log = join(root, "tree", "mock-accel", version, headers!.version, "x86_64", "log", "make.log");
      expect(existsSync(log), `no make.log at ${log}`).toBe(true);
      const text = readFileSync(log, "utf8");
      expect(text).toMatch(/CC \[M\] .*mock_accel_main\.o/);
      expect(text).not.toMatch(/warning:/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 300_000);
});
