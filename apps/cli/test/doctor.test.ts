// `mock-accel doctor` looks, never installs: what it finds, and for what is missing the
// command that fixes it.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(import.meta.dirname, "../../..");
const doctor = (args: string[], env: Record<string, string> = {}) =>
  spawnSync("bun", ["apps/cli/src/main.ts", "doctor", ...args], { cwd: root, encoding: "utf8", env: { ...process.env, ...env } });

describe("mock-accel doctor", () => {
  it("reports each check as JSON with a status, and Bun's version", () => {
    const r = doctor(["--json"]);
    const checks = JSON.parse(r.stdout) as { name: string; status: string; detail: string; fix?: string }[];
    expect(checks[0]).toEqual({ name: "bun", status: "ok", detail: `Bun ${Bun.version}` });
    for (const name of ["libvfio-user", "kernel headers", "cpio (guest initramfs)"]) expect(checks.map((c) => c.name)).toContain(name);
    for (const c of checks) if (c.status !== "ok") expect(c.fix, c.name).toBeTruthy();
    expect(r.status).toBe(checks.some((c) => c.status === "missing") ? 1 : 0);
  });

  it("names every place it looked for libvfio-user, and the install command, when it is nowhere", () => {
    const empty = mkdtempSync(join(tmpdir(), "mock-accel-doctor-"));
    try {
      const r = doctor([], { LIBVFIO_USER_PATH: join(empty, "missing.so"), MOCK_ACCEL_CACHE: empty, XDG_CACHE_HOME: empty, LD_LIBRARY_PATH: "" });
      if (spawnSync("sh", ["-c", "ldconfig -p | grep -q libvfio-user.so.0"]).status === 0) {
        // Installed system-wide: the system library path is what doctor finds, and it is fine.
        expect(r.stdout).toContain("[ok  ] libvfio-user: libvfio-user.so.0");
        expect(r.stdout).not.toContain("[MISS] libvfio-user");
      } else {
        expect(r.status).toBe(1);
        expect(r.stdout).toContain(`[MISS] libvfio-user: not found (tried ${join(empty, "missing.so")}, ${join(empty, "libvfio-user")}`);
        expect(r.stdout).toMatch(/fix: .*install-libvfio-user\.sh/);
      }
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it("says whether Kubernetes is built, and the command that builds it when it is not", () => {
    const empty = mkdtempSync(join(tmpdir(), "mock-accel-doctor-"));
    try {
      const r = doctor(["--json"], { MOCK_ACCEL_CACHE: empty });
      const checks = JSON.parse(r.stdout) as { name: string; status: string; detail: string; fix?: string }[];
      const k8s = checks.find((c) => c.name === "kubernetes")!;
      expect(k8s.status).toBe("warn");
      expect(k8s.detail).toContain("not built");
      expect(k8s.fix).toBe("bash scripts/install-kubernetes.sh -v");
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it("bad flags: one line, exit 2", () => {
    const r = doctor(["--frobnicate"]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});
