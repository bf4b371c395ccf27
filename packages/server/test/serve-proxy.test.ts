// `mock-accel serve --transport proxy` / `mock-accel-server --transport proxy` (issue 11): the
// same device as over vfio-user, served to what QEMU's x-pci-proxy-dev sends. Needs no
// libvfio-user, so it runs everywhere.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uuidFromLabelOrCanonical } from "../src/device/device-config.ts";
import { PCI, REG } from "../src/generated/registers.ts";
import { runServe } from "../src/serve/serve.ts";
import { ProxyClient } from "../src/transports/proxy/proxy-client.ts";
import { serverDir, startServer } from "./serve-process.ts";
import { DEVICE_ID_MAGIC } from "./device-id.ts";

const repoRoot = join(serverDir, "..", "..");
const BIN = ["bun", "src/bin/mock-accel-server.ts"];
const BASE = 0xfe000000n;



/** What QEMU and the guest's firmware do before a driver reads BAR0: probe, program BAR0, enable memory. */
async function bringUp(socketPath: string): Promise<ProxyClient> {
  const c = await ProxyClient.connect(socketPath);
  await c.probe();
  await c.configWrite(0x10, 4, Number(BASE));
  await c.configWrite(0x04, 2, 0x0002);
  return c;
}

const bar = (c: ProxyClient, name: keyof typeof REG, size: 4 | 8 = 4) => c.barRead(BASE + BigInt(REG[name].offsetBytes), size);

describe("--transport flag", () => {
  it("is in the usage text", async () => {
    const out: string[] = [];
    expect(await runServe(["--help"], "mock-accel-server", { stdout: (l) => out.push(l), stderr: () => {} })).toBe(0);
    expect(out.join("\n")).toMatch(/--transport T +vfio-user \(default.*\) or proxy/);
  });

  it("refuses anything but vfio-user or proxy with one line, exit 2", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runServe(["--transport", "x", "/tmp/x.sock"], "mock-accel-server", { stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err).toEqual(["mock-accel-server: --transport: expected vfio-user or proxy, not 'x' (see --help)"]);
  });
});

describe("serving over the proxy transport", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "serve-proxy-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("serves a PF a proxy client reads through BAR0; SIGTERM removes the socket, exit 0", async () => {
    const sock = join(dir, "pf.sock");
    const s = await startServer([...BIN, "--transport", "proxy", "-u", "proxy0", "-m", "512M", "--total-vfs", "3", "--socket-mode", "0660", sock]);
    expect(s.startLine).toContain(`over proxy on ${sock}`);
    expect(s.startLine).toContain(uuidFromLabelOrCanonical("proxy0").canonical);
    expect(statSync(sock).mode & 0o777).toBe(0o660);
    const c = await bringUp(sock);
    try {
      expect(await c.configRead(0x00, 2)).toBe(PCI.vendorId);
      expect(await c.configRead(0x02, 2)).toBe(PCI.pfDeviceId);
      expect(await bar(c, "DEVICE_ID")).toBe(DEVICE_ID_MAGIC);
      expect(await bar(c, "MEMORY_SIZE", 8)).toBe(512n << 20n);
      expect(await bar(c, "SRIOV_TOTAL_VFS")).toBe(3n);
    } finally {
      c.close();
    }
    s.child.kill("SIGTERM");
    expect(await s.exit).toBe(0);
    expect(existsSync(sock)).toBe(false);
  });

  it("serves a VF (--vf --vf-index 2); SIGINT removes the socket, exit 0", async () => {
    const sock = join(dir, "vf.sock");
    const s = await startServer([...BIN, "--transport", "proxy", "--vf", "--vf-index", "2", sock]);
    const c = await bringUp(sock);
    try {
      expect(await c.configRead(0x02, 2)).toBe(PCI.vfDeviceId);
      expect(await bar(c, "VF_INDEX")).toBe(2n);
    } finally {
      c.close();
    }
    s.child.kill("SIGINT");
    expect(await s.exit).toBe(0);
    expect(existsSync(sock)).toBe(false);
  });

  it("`bun run mock-accel serve --transport proxy` (issue 11) serves the device", async () => {
    const sock = join(dir, "cli.sock");
    const s = await startServer(["bun", "run", "mock-accel", "serve", "--transport", "proxy", "-m", "16G", sock], repoRoot);
    const c = await bringUp(sock);
    try {
      expect(await bar(c, "DEVICE_ID")).toBe(DEVICE_ID_MAGIC);
      expect(await bar(c, "MEMORY_SIZE", 8)).toBe(16n << 30n);
    } finally {
      c.close();
    }
    s.child.kill("SIGTERM");
    expect(await s.exit).toBe(0);
    expect(existsSync(sock)).toBe(false);
  });

  it("the compiled mock-accel-server (bun run build) takes --transport proxy", async () => {
    const build = spawnSync("bun", ["run", "build"], { cwd: serverDir, encoding: "utf8" });
    expect(build.status, build.stderr).toBe(0);
    const sock = join(dir, "compiled.sock");
    // Run from elsewhere: the binary must not need the source tree.
    const s = await startServer([join(serverDir, "dist", "mock-accel-server"), "--transport", "proxy", "-m", "2G", sock], tmpdir());
    const c = await bringUp(sock);
    try {
      expect(await bar(c, "DEVICE_ID")).toBe(DEVICE_ID_MAGIC);
      expect(await bar(c, "MEMORY_SIZE", 8)).toBe(2n << 30n);
    } finally {
      c.close();
    }
    s.child.kill("SIGTERM");
    expect(await s.exit).toBe(0);
    expect(existsSync(sock)).toBe(false);
  });
});
