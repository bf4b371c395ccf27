// scripts/install-libvfio-user.sh as a user meets it: one quiet line when already done, a build
// from the qemu source package into a private prefix, a clear refusal where it cannot help.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assertAvailable, requirement } from "@mock-accel/testkit";
import { libvfioUserPrefix, mockAccelCacheDir } from "../src/transports/vfio-user/library-path.ts";

const repoRoot = join(import.meta.dirname, "..", "..", "..");
const script = join(repoRoot, "scripts", "install-libvfio-user.sh");

function run(env: Record<string, string>) {
  return spawnSync("bash", [script], { env: { ...process.env, ...env }, encoding: "utf8" });
}

const prefix = libvfioUserPrefix();
const installed = requirement(
  "libvfio-user in the mock-accel cache",
  existsSync(join(prefix, ".mock-accel-installed")),
  "scripts/install-libvfio-user.sh",
);
const srcDir = join(mockAccelCacheDir(), "src");
const orig = existsSync(srcDir) ? readdirSync(srcDir).find((f) => /^qemu_.*\.orig\.tar\./.test(f)) : undefined;
const source = requirement("the qemu source package in the mock-accel cache", orig !== undefined, "scripts/install-libvfio-user.sh");

describe("scripts/install-libvfio-user.sh", () => {
  it.skipIf(installed.skip)("when already installed, prints only the prefix and exits 0", () => {
    assertAvailable(installed);
    const r = run({});
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${prefix}\n`);
    expect(r.stderr).toBe("");
  });

  it("on a distribution it cannot handle, says what to do instead and exits non-zero", () => {
    const cache = mkdtempSync(join(tmpdir(), "lvu-cache-"));
    try {
      const osRelease = join(cache, "os-release");
      writeFileSync(osRelease, 'ID=fedora\nPRETTY_NAME="Fedora Linux 40"\nVERSION_CODENAME=""\n');
      const r = run({ MOCK_ACCEL_FORCE_BUILD: "1", MOCK_ACCEL_CACHE: cache, MOCK_ACCEL_OS_RELEASE: osRelease });
      expect(r.status).not.toBe(0);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain("only Debian and Ubuntu are handled (this is Fedora Linux 40)");
      expect(r.stderr).toContain("LIBVFIO_USER_PATH");
      expect(existsSync(join(cache, "libvfio-user"))).toBe(false);

      const none = run({ MOCK_ACCEL_FORCE_BUILD: "1", MOCK_ACCEL_CACHE: cache, MOCK_ACCEL_OS_RELEASE: join(cache, "missing") });
      expect(none.status).not.toBe(0);
      expect(none.stderr).toContain("cannot tell the distribution");
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it.skipIf(source.skip)("builds libvfio-user and the gpio sample from the source package into the prefix, then stays quiet", { timeout: 240_000 }, () => {
    assertAvailable(source);
    const cache = mkdtempSync(join(tmpdir(), "lvu-build-"));
    try {
      // Reuse the downloaded source package: the test checks extraction and the build, offline
      // (apt is given no sources at all: a cached source package needs no archive).
      mkdirSync(join(cache, "src"));
      copyFileSync(join(srcDir, orig!), join(cache, "src", orig!));
      mkdirSync(join(cache, "no-sources.d"));
      writeFileSync(join(cache, "apt.conf"), `Dir::Etc::sourcelist "/dev/null";\nDir::Etc::sourceparts "${join(cache, "no-sources.d")}";\n`);
      const first = run({ MOCK_ACCEL_FORCE_BUILD: "1", MOCK_ACCEL_CACHE: cache, APT_CONFIG: join(cache, "apt.conf") });
      expect(first.status, first.stderr).toBe(0);
      const builtPrefix = join(cache, "libvfio-user");
      expect(first.stdout).toBe(`${builtPrefix}\n`);
      expect(first.stderr).toContain("building libvfio-user");
      for (const f of ["lib/libvfio-user.so.0", "include/vfio-user/libvfio-user.h", "bin/gpio-pci-idio-16"]) {
        expect(existsSync(join(builtPrefix, f)), f).toBe(true);
      }
      // The sample finds the library next to it (RUNPATH $ORIGIN/../lib), with no environment.
      const usage = spawnSync(join(builtPrefix, "bin", "gpio-pci-idio-16"), ["-h"], { encoding: "utf8", env: {} });
      expect(usage.stderr).toContain("Usage:");
      // No build leftovers next to the prefix.
      expect(readdirSync(cache).filter((f) => f.startsWith("build."))).toEqual([]);

      const second = run({ MOCK_ACCEL_FORCE_BUILD: "1", MOCK_ACCEL_CACHE: cache });
      expect(second.status).toBe(0);
      expect(second.stdout).toBe(`${builtPrefix}\n`);
      expect(second.stderr).toBe("");
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
