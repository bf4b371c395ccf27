// `mock-accel doctor` looks, never installs: what it finds, and for what is missing the
// command that fixes it.
import { describe, expect, it, vi } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { command } from "../src/commands/doctor.ts";
import { transportSupport, type CheckResult, type QemuInfo, type TransportSupport } from "../src/doctor/checks.ts";

// The in-process runs below decide what the checks find; every other test runs the real
// doctor as a child process, which this does not reach.
const fakeChecks = vi.hoisted(() => ({ results: null as CheckResult[] | null }));
vi.mock("../src/doctor/checks.ts", async (importOriginal) => {
  const real = await importOriginal<typeof import("../src/doctor/checks.ts")>();
  return { ...real, runAllChecks: () => fakeChecks.results ?? real.runAllChecks() };
});

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
  });

  it("exits 1 when something required is missing, naming it and its fix", () => {
    // A PATH holding only Bun: gcc, make, cpio ... are missing on any machine.
    const bin = mkdtempSync(join(tmpdir(), "mock-accel-doctor-path-"));
    try {
      symlinkSync(process.execPath, join(bin, "bun"));
      const r = doctor(["--json"], { PATH: bin });
      const checks = JSON.parse(r.stdout) as { name: string; status: string; fix?: string }[];
      expect(checks.find((c) => c.name === "cpio (guest initramfs)")).toMatchObject({ status: "missing", fix: "apt-get install cpio" });
      expect(r.status).toBe(1);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it("exits 0 when what is not there is optional (warn), 1 as soon as one check is missing", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      fakeChecks.results = [
        { name: "bun", status: "ok", detail: "Bun" },
        { name: "go", status: "warn", detail: "not found", fix: "apt-get install golang-go" },
      ];
      expect(await command.run([])).toBe(0);
      fakeChecks.results.push({ name: "cpio (guest initramfs)", status: "missing", detail: "not found", fix: "apt-get install cpio" });
      expect(await command.run(["--json"])).toBe(1);
    } finally {
      fakeChecks.results = null;
      log.mockRestore();
    }
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

  it("says per QEMU which transport it serves and marks the one it cannot, never both ways", () => {
    const checks = JSON.parse(doctor(["--json"]).stdout) as { name: string; status: string; detail: string; transports?: TransportSupport[] }[];
    for (const q of checks.filter((c) => c.name === "qemu")) {
      expect(q.transports?.map((t) => t.transport).sort()).toEqual(["proxy", "vfio-user"]);
      for (const t of q.transports!) {
        // Said once, the right way round: "serves --transport X" or "NOT --transport X: why".
        const served = q.detail.includes(`serves --transport ${t.transport} `) || q.detail.includes(`, --transport ${t.transport} `);
        expect(served, q.detail).toBe(t.serves);
        expect(q.detail.includes(`NOT --transport ${t.transport}: ${t.reason}`), q.detail).toBe(!t.serves);
        expect(t.serves ? t.reason === undefined : Boolean(t.reason), q.detail).toBe(true);
      }
      expect(q.status).toBe(q.transports!.some((t) => t.serves) ? "ok" : "warn");
    }
  });

  it("a QEMU with vfio-user-pci but the crashing proxy serves vfio-user only; an old one the proxy only", () => {
    const info = (version: string, vfioUserPci: boolean, proxyProblem: string | null): QemuInfo =>
      ({ path: "/q", version, vfioUserPci, proxyDev: true, proxyWorks: proxyProblem === null, proxyProblem });
    const serves = (ts: TransportSupport[]) => ts.filter((t) => t.serves).map((t) => t.transport);
    const recent = transportSupport(info("11.1.3", true, "QEMU 11.1.3 crashes with x-pci-proxy-dev"));
    expect(serves(recent)).toEqual(["vfio-user"]);
    expect(recent.find((t) => t.transport === "proxy")?.reason).toContain("crashes");
    const old = transportSupport(info("7.2.22", false, null));
    expect(serves(old)).toEqual(["proxy"]);
    expect(old.find((t) => t.transport === "vfio-user")?.reason).toContain("10.1");
  });

  it("bad flags: one line, exit 2", () => {
    const r = doctor(["--frobnicate"]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});
