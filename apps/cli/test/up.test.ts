// `mock-accel up` as a user runs it: a topology file in, every device listening from one
// process, a table out, and SIGTERM leaving no socket behind.
import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requirement, assertAvailable } from "@mock-accel/testkit";
import { VfioUserClient, libvfioUserInstalled, uuidToCanonical } from "@mock-accel/server";

const root = join(import.meta.dirname, "../../..");
const lib = requirement("libvfio-user", libvfioUserInstalled(), "bash scripts/install-libvfio-user.sh");

describe("mock-accel up", () => {
  it.skipIf(lib.skip)("serves the 12-device cluster from one process and removes every socket on SIGTERM", async () => {
    assertAvailable(lib);
    const runDir = mkdtempSync(join(tmpdir(), "mock-accel-up-"));
    const child = spawn("bun", ["apps/cli/src/main.ts", "up", "examples/cluster.yaml", "--run-dir", runDir], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`up did not come up:\n${out}\n${err}`)), 30_000);
        child.stdout.on("data", () => {
          if (out.includes("device(s) up")) {
            clearTimeout(t);
            resolve();
          }
        });
        child.on("exit", (code) => reject(new Error(`up exited ${code}:\n${err}`)));
      });
      expect(out).toMatch(/12 device\(s\) up over vfio-user/);
      expect(err).toContain("starting devices: 12/12");
      const sockets = ["node1", "node2"].flatMap((vm) => readdirSync(join(runDir, vm)).map((f) => join(runDir, vm, f)));
      expect(sockets).toHaveLength(12);
      // The table's UUID for a VF is what the device itself reports.
      const row = out.split("\n").find((l) => l.includes("node2-n1-pf0-vf1 "))!;
      const uuid = /[0-9a-f]{8}-[0-9a-f-]{27}/.exec(row)![0];
      const client = await VfioUserClient.connect(join(runDir, "node2/node2-n1-pf0-vf1.sock"));
      const bytes = await client.regionRead(0, 0x08, 16);
      await client.close();
      expect(uuidToCanonical(bytes)).toBe(uuid);
      child.kill("SIGTERM");
      const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
      expect(code).toBe(0);
      expect(sockets.filter((s) => existsSync(s))).toEqual([]);
    } finally {
      child.kill("SIGKILL");
      rmSync(runDir, { recursive: true, force: true });
    }
  });

  it("refuses a topology with errors, naming the file and line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mock-accel-up-"));
    const file = join(dir, "bad.yaml");
    await Bun.write(file, "vms:\n  - name: Bad_Name\n    numa_nodes: []\n");
    const r = Bun.spawnSync(["bun", "apps/cli/src/main.ts", "up", file], { cwd: root });
    rmSync(dir, { recursive: true, force: true });
    expect(r.exitCode).toBe(1);
    expect(r.stderr.toString()).toContain(`${file}:2:11 vms[0].name:`);
  });

  it("bad flags: one-line error and exit 2", () => {
    const r = Bun.spawnSync(["bun", "apps/cli/src/main.ts", "up", "examples/demo.yaml", "--transport", "pigeon"], { cwd: root });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.toString().trim().split("\n")).toEqual(["mock-accel up: --transport must be vfio-user or proxy, not 'pigeon'"]);
  });

  it("--socket-mode: the grammar and message of mock-accel serve's flag, exit 2", () => {
    const r = Bun.spawnSync(["bun", "apps/cli/src/main.ts", "up", "examples/demo.yaml", "--socket-mode", "0o1000"], { cwd: root });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.toString().trim().split("\n")).toEqual(['mock-accel up: --socket-mode: expected octal permissions like 600 or 0660, got "0o1000"']);
  });
});
