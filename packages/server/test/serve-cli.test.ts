// `mock-accel-server` / `mock-accel serve` as a user runs them: flags, the start line, a client
// reading what the flags asked for, signals removing the socket, and the compiled binary.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertAvailable, requirement } from "@mock-accel/testkit";
import { VfioUserClient } from "../src/client/vfio-user-client.ts";
import { PCI_REGION } from "../src/client/vfio-user-protocol.ts";
import { uuidFromLabelOrCanonical, uuidToCanonical, VF_INDEX_FROM_FUNCTION } from "../src/device/device-config.ts";
import { DEVICE_CONFIG, PCI, REG } from "../src/generated/registers.ts";
import { describeDevice, parseServeArgs, runServe } from "../src/serve/serve.ts";
import { serverDir, startServer } from "./serve-process.ts";
import { libvfioUser } from "./requirements.ts";
import { DEVICE_ID_MAGIC, DEVICE_ID_MAGIC_U32 } from "./device-id.ts";

const repoRoot = join(serverDir, "..", "..");
const BIN = ["bun", "src/bin/mock-accel-server.ts"];

const u32 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0, true);
const u64 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(0, true);
const readReg = (c: VfioUserClient, name: keyof typeof REG) => c.regionRead(PCI_REGION.BAR0, REG[name].offsetBytes, REG[name].sizeBytes);



/** runServe in this process with captured output; for flags that never reach the network. */
async function runCaptured(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runServe(argv, "mock-accel-server", { stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
  return { code, out, err };
}

describe("mock-accel-server flags", () => {
  it("--help prints the usage with every flag and exits 0", async () => {
    const r = await runCaptured(["--help"]);
    expect(r.code).toBe(0);
    const usage = r.out.join("\n");
    expect(usage).toContain("Usage: mock-accel-server [options] <socket-path>");
    for (const flag of ["-u, --uuid", "-m, --memory", "--vf ", "--total-vfs", "--vf-index", "--socket-mode", "-v, --verbose"]) expect(usage).toContain(flag);
  });

  const bad: [string[], RegExp][] = [
    [["--bogus", "/tmp/x.sock"], /--bogus/],
    [["-m", "16GB", "/tmp/x.sock"], /-m: .*16GB/],
    [["-m", "lots", "/tmp/x.sock"], /-m: .*lots/],
    [["--total-vfs", "9", "/tmp/x.sock"], /--total-vfs: 9 is outside 0..7/],
    [["--total-vfs", "two", "/tmp/x.sock"], /--total-vfs: expected a whole number/],
    [["--vf", "--total-vfs", "2", "/tmp/x.sock"], /--total-vfs: a virtual function carries no VFs/],
    [["--vf-index", "1", "/tmp/x.sock"], /--vf-index: only a virtual function/],
    [["--vf", "--vf-index", "7", "/tmp/x.sock"], /--vf-index: 7 is outside 0..6/],
    [["--socket-mode", "999", "/tmp/x.sock"], /--socket-mode: expected octal/],
    [["-u", "", "/tmp/x.sock"], /-u: invalid UUID/],
    [[], /missing <socket-path>/],
    [["/tmp/a.sock", "/tmp/b.sock"], /one <socket-path> expected, got 2/],
  ];
  for (const [argv, message] of bad) {
    it(`refuses ${JSON.stringify(argv)} with one line and exit code 2`, async () => {
      const r = await runCaptured(argv);
      expect(r.code).toBe(2);
      expect(r.out).toEqual([]);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).not.toContain("\n");
      expect(r.err[0]).toMatch(/^mock-accel-server: /);
      expect(r.err[0]).toMatch(message);
    });
  }

  it("--vf without --vf-index (the old server's recipe) leaves the index to the guest driver's PCI-function rule", () => {
    const parsed = parseServeArgs(["-u", "MOCK-VF-0", "-m", "2G", "--vf", "/tmp/mock-vf-0-0.sock"]);
    if (parsed.help) throw new Error("unexpected --help");
    expect(parsed.config.vf_index).toBe(VF_INDEX_FROM_FUNCTION);
    expect(VF_INDEX_FROM_FUNCTION).toBe(DEVICE_CONFIG.find((d) => d.name === "vf_index")!.defaultVf);
    expect(describeDevice(parsed, parsed.socketPath)).toContain("VF index from its PCI function (function - 1)");
    const given = parseServeArgs(["--vf", "--vf-index", "3", "/tmp/x.sock"]);
    if (given.help) throw new Error("unexpected --help");
    expect(given.config.vf_index).toBe(3n);
    expect(describeDevice(given, given.socketPath)).toContain("VF index 3,");
  });

  it("the process exits 2 with one line on stderr for a bad flag", () => {
    const r = spawnSync(BIN[0]!, [...BIN.slice(1), "--total-vfs", "8", "/tmp/x.sock"], { cwd: serverDir, encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe.skipIf(libvfioUser.skip)("mock-accel-server serving", () => {
  let dir: string;
  beforeAll(() => {
    assertAvailable(libvfioUser);
    dir = mkdtempSync(join(tmpdir(), "serve-"));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true }); // unset when the requirement failed
  });

  it("serves a PF with the UUID, memory size and VF count asked for; SIGTERM removes the socket, exit 0", async () => {
    const sock = join(dir, "pf.sock");
    const s = await startServer([...BIN, "-u", "gpu0", "-m", "512M", "--total-vfs", "3", sock]);
    const expected = uuidFromLabelOrCanonical("gpu0").canonical;
    expect(s.startLine).toContain(`uuid ${expected} (derived from label "gpu0")`);
    expect(statSync(sock).mode & 0o777).toBe(0o600);
    const c = await VfioUserClient.connect(sock);
    try {
      expect(uuidToCanonical(await readReg(c, "UUID"))).toBe(expected);
      expect(u64(await readReg(c, "MEMORY_SIZE"))).toBe(512n << 20n);
      expect(u32(await readReg(c, "SRIOV_TOTAL_VFS"))).toBe(3);
      expect(await c.configRead(0x02, 2)).toBe(PCI.pfDeviceId);
      expect(await c.configRead(0x10e, 2)).toBe(3);
    } finally {
      c.close();
    }
    s.child.kill("SIGTERM");
    expect(await s.exit).toBe(0);
    expect(existsSync(sock)).toBe(false);
  });

  it("serves a VF (--vf --vf-index 2) with a canonical UUID; SIGINT removes the socket, exit 0", async () => {
    const sock = join(dir, "vf.sock");
    const uuid = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
    const s = await startServer([...BIN, "--vf", "--vf-index", "2", "-u", uuid.toUpperCase(), "--socket-mode", "0660", sock]);
    expect(s.startLine).toContain(`uuid ${uuid},`);
    expect(statSync(sock).mode & 0o777).toBe(0o660);
    const c = await VfioUserClient.connect(sock);
    try {
      expect(await c.configRead(0x02, 2)).toBe(PCI.vfDeviceId);
      expect(u32(await readReg(c, "VF_INDEX"))).toBe(2);
      expect(u64(await readReg(c, "MEMORY_SIZE"))).toBe(2n << 30n);
      expect(uuidToCanonical(await readReg(c, "UUID"))).toBe(uuid);
    } finally {
      c.close();
    }
    s.child.kill("SIGINT");
    expect(await s.exit).toBe(0);
    expect(existsSync(sock)).toBe(false);
  });

  it("-v logs libvfio-user's own messages and each access; without it they stay quiet", async () => {
    const quiet = await startServer([...BIN, join(dir, "quiet.sock")]);
    const loud = await startServer([...BIN, "-v", join(dir, "loud.sock")]);
    for (const s of [quiet, loud]) {
      const c = await VfioUserClient.connect(join(dir, s === quiet ? "quiet.sock" : "loud.sock"));
      await readReg(c, "DEVICE_ID");
      c.close();
      s.child.kill("SIGTERM");
      expect(await s.exit).toBe(0);
    }
    expect(loud.stderr()).toMatch(new RegExp(`region0: read 0x${DEVICE_ID_MAGIC.toString(16)}`));
    expect(quiet.stderr()).not.toMatch(/region0: read/);
  });

  it("refuses to replace a file that is not a socket: exit 1, the file untouched", () => {
    const path = join(dir, "notes.txt");
    writeFileSync(path, "keep me");
    const r = spawnSync(BIN[0]!, [...BIN.slice(1), path], { cwd: serverDir, encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("exists and is not a socket");
    expect(readFileSync(path, "utf8")).toBe("keep me");
  });

  it("`bun run mock-accel serve` takes the same flags and exits 0 on SIGTERM", async () => {
    const sock = join(dir, "cli.sock");
    const s = await startServer(["bun", "apps/cli/src/main.ts", "serve", "-u", "cli0", "--total-vfs", "1", sock], repoRoot);
    expect(s.startLine).toContain(uuidFromLabelOrCanonical("cli0").canonical);
    const c = await VfioUserClient.connect(sock);
    expect(u32(await readReg(c, "SRIOV_TOTAL_VFS"))).toBe(1);
    c.close();
    s.child.kill("SIGTERM");
    expect(await s.exit).toBe(0);
    expect(existsSync(sock)).toBe(false);
  });

  it("the compiled mock-accel-server (bun run build) serves a device and cleans up on SIGTERM", async () => {
    const build = spawnSync("bun", ["run", "build"], { cwd: serverDir, encoding: "utf8" });
    expect(build.status, build.stderr).toBe(0);
    const binary = join(serverDir, "dist", "mock-accel-server");
    expect(existsSync(binary)).toBe(true);
    const sock = join(dir, "compiled.sock");
    // Run from elsewhere: the binary must not need the source tree.
    const s = await startServer([binary, "-u", "compiled", "-m", "16G", sock], tmpdir());
    const c = await VfioUserClient.connect(sock);
    try {
      expect(u32(await readReg(c, "DEVICE_ID"))).toBe(DEVICE_ID_MAGIC_U32);
      const lo = u32(await c.regionRead(PCI_REGION.BAR0, REG.MEMORY_SIZE.offsetBytes, 4));
      const hi = u32(await c.regionRead(PCI_REGION.BAR0, REG.MEMORY_SIZE.offsetBytes + 4, 4));
      expect((BigInt(hi) << 32n) | BigInt(lo)).toBe(16n << 30n);
    } finally {
      c.close();
    }
    s.child.kill("SIGTERM");
    expect(await s.exit).toBe(0);
    expect(existsSync(sock)).toBe(false);
  });
});
