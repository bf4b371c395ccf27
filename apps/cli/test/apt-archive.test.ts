// scripts/apt-archive.sh: the installers fetch from the archive the machine's own apt sources
// name (its mirror, proxy or local cache), never from a host written in the repository. Each
// case gives apt a private configuration (APT_CONFIG) with its own sources, so the machine's
// apt state is neither read nor touched.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { assertAvailable, requirement } from "@mock-accel/testkit";

const root = join(import.meta.dirname, "../../..");
const script = join(root, "scripts", "apt-archive.sh");
const apt = requirement("apt-get", spawnSync("apt-get", ["--version"]).status === 0, "a Debian or Ubuntu machine");

const BOOKWORM = 'ID=debian\nVERSION_CODENAME=bookworm\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n';
const NOBLE = 'ID=ubuntu\nID_LIKE=debian\nVERSION_CODENAME=noble\nPRETTY_NAME="Ubuntu 24.04 LTS"\n';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Run the script against a machine whose os-release and apt sources are the given texts. */
function archive(osRelease: string, sources: { list?: string; parts?: Record<string, string> }, args: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), "apt-archive-"));
  dirs.push(dir);
  const parts = join(dir, "sources.list.d");
  mkdirSync(parts);
  writeFileSync(join(dir, "sources.list"), sources.list ?? "");
  for (const [name, text] of Object.entries(sources.parts ?? {})) writeFileSync(join(parts, name), text);
  writeFileSync(join(dir, "os-release"), osRelease);
  writeFileSync(join(dir, "apt.conf"), `Dir::Etc::sourcelist "${join(dir, "sources.list")}";\nDir::Etc::sourceparts "${parts}";\n`);
  const r = spawnSync("bash", [script, ...args], {
    encoding: "utf8",
    env: { ...process.env, APT_CONFIG: join(dir, "apt.conf"), MOCK_ACCEL_OS_RELEASE: join(dir, "os-release") },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("scripts/apt-archive.sh", () => {
  it.skipIf(apt.skip)("takes the main suite's archive from a one-line sources.list, past other repositories", () => {
    assertAvailable(apt);
    const r = archive(BOOKWORM, {
      list: [
        "deb [arch=amd64] http://vendor.example/apt stable main",
        "deb http://apt-cache.lan:3142/security bookworm-security main",
        "deb http://apt-cache.lan:3142/debian/ bookworm main contrib",
      ].join("\n"),
    });
    expect(r.stderr).toBe("");
    expect(r).toMatchObject({ status: 0, stdout: "http://apt-cache.lan:3142/debian\n" });
  });

  it.skipIf(apt.skip)("reads deb822 .sources files", () => {
    assertAvailable(apt);
    const r = archive(BOOKWORM, {
      parts: {
        "vendor.sources": "Types: deb\nURIs: http://vendor.example/node\nSuites: nodistro\nComponents: main\n",
        "debian.sources": "Types: deb deb-src\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n",
      },
    });
    expect(r).toMatchObject({ status: 0, stdout: "http://mirror.example/debian\n" });
  });

  it.skipIf(apt.skip)("accepts a Debian machine that names its suite (sid) rather than its codename", () => {
    assertAvailable(apt);
    const r = archive('ID=debian\nVERSION_CODENAME=forky\n', { list: "deb file:///srv/debian sid main\n" });
    // apt writes a file URI in its short form, which it reads back the same.
    expect(r).toMatchObject({ status: 0, stdout: "file:/srv/debian\n" });
  });

  it.skipIf(apt.skip)("finds Ubuntu's archive, but refuses when a Debian archive is needed", () => {
    assertAvailable(apt);
    const sources = { list: "deb http://mirror.example/ubuntu noble main universe\n" };
    expect(archive(NOBLE, sources)).toMatchObject({ status: 0, stdout: "http://mirror.example/ubuntu\n" });
    const debian = archive(NOBLE, sources, ["--debian"]);
    expect(debian.status).toBe(1);
    expect(debian.stdout).toBe("");
    expect(debian.stderr).toContain("this is not Debian (ubuntu)");
  });

  it.skipIf(apt.skip)("says so when no source serves the machine's suite", () => {
    assertAvailable(apt);
    const r = archive(BOOKWORM, { list: "deb http://vendor.example/apt stable-extras main\n" });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("no apt source for suite 'bookworm' with component main");
  });

  it.skipIf(apt.skip)("the installers name the override to set when no archive is found", () => {
    assertAvailable(apt);
    const dir = mkdtempSync(join(tmpdir(), "apt-archive-install-"));
    dirs.push(dir);
    writeFileSync(join(dir, "os-release"), BOOKWORM);
    writeFileSync(join(dir, "sources.list"), "");
    mkdirSync(join(dir, "parts"));
    writeFileSync(join(dir, "apt.conf"), `Dir::Etc::sourcelist "${join(dir, "sources.list")}";\nDir::Etc::sourceparts "${join(dir, "parts")}";\n`);
    // MOCK_ACCEL_FORCE_BUILD skips a system libvfio-user; the cache is this test's own directory.
    const r = spawnSync("bash", [join(root, "scripts", "install-libvfio-user.sh")], {
      encoding: "utf8",
      env: {
        ...process.env,
        APT_CONFIG: join(dir, "apt.conf"),
        MOCK_ACCEL_OS_RELEASE: join(dir, "os-release"),
        MOCK_ACCEL_CACHE: join(dir, "cache"),
        MOCK_ACCEL_FORCE_BUILD: "1",
      },
    });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("set MOCK_ACCEL_DEB_MIRROR");
  });

  it("refuses an unknown argument", () => {
    const r = spawnSync("bash", [script, "--frobnicate"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown argument '--frobnicate'");
  });
});
