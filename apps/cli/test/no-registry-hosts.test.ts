// No package or image registry host is written anywhere in the repository: installers take
// the archive from the machine's own configuration (scripts/apt-archive.sh), where a user's
// mirror, proxy or local cache already is. The patterns are a denylist of well-known registry
// hosts; they are written as regular expressions so this file does not match itself.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assertAvailable, requirement } from "@mock-accel/testkit";

const root = join(import.meta.dirname, "../../..");

const REGISTRY_HOSTS: RegExp[] = [
  // Debian and Ubuntu archives
  /\b(deb|security|snapshot|ftp\.[a-z]{2})\.debian\.org\b/i,
  /\b(archive|security|ports)\.ubuntu\.com\b/i,
  // JavaScript, Go, Python, Rust, Ruby
  /\bregistry\.(npmjs\.org|yarnpkg\.com)\b/i,
  /\b(proxy|sum)\.golang\.org\b/i,
  /\b(pypi\.org|files\.pythonhosted\.org)\b/i,
  /\b(static\.)?crates\.io\b/i,
  /\brubygems\.org\b/i,
  // container images
  /\b(docker\.io|ghcr\.io|quay\.io|registry\.k8s\.io|gcr\.io)\b/i,
];

const git = requirement("git and a git checkout", spawnSync("git", ["-C", root, "rev-parse"]).status === 0, "git");

describe("the repository names no registry host", () => {
  it.skipIf(git.skip)("in any tracked file", () => {
    assertAvailable(git);
    const files = spawnSync("git", ["-C", root, "ls-files", "-z"], { encoding: "utf8" }).stdout.split("\0").filter(Boolean);
    expect(files.length).toBeGreaterThan(50);
    const hits: string[] = [];
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(join(root, file), "utf8");
      } catch {
        continue; // listed but deleted in the working tree
      }
      if (text.includes("\0")) continue; // binary
      text.split("\n").forEach((line, i) => {
        if (REGISTRY_HOSTS.some((re) => re.test(line))) hits.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(hits).toEqual([]);
  });

  it("the denylist catches what it is for", () => {
    // Built by joining, so these hosts are not written in the repository either.
    const host = (...parts: string[]) => parts.join(".");
    for (const h of [host("deb", "debian", "org"), host("registry", "npmjs", "org"), host("proxy", "golang", "org"), host("docker", "io")]) {
      expect(REGISTRY_HOSTS.some((re) => re.test(`URIs: http://${h}/x`)), h).toBe(true);
    }
    expect(REGISTRY_HOSTS.some((re) => re.test("URIs: http://apt-cache.lan:3142/debian"))).toBe(false);
    expect(REGISTRY_HOSTS.some((re) => re.test("import golang.org/x/sys/unix"))).toBe(false);
  });
});
