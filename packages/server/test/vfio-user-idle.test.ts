// An idle server sleeps in epoll_wait: no busy polling. One process serving 16 devices is left
// alone for a few seconds after a client came and went; its CPU time (utime + stime from
// /proc/<pid>/stat) barely moves. A polling loop would burn a whole core here.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assertAvailable, cpuTicks, eventually } from "@mock-accel/testkit";
import { VfioUserClient } from "../src/client/vfio-user-client.ts";
import { libvfioUser } from "./requirements.ts";
import { DEVICE_ID_MAGIC_U32 } from "./device-id.ts";

const serverDir = join(import.meta.dirname, "..");


describe.skipIf(libvfioUser.skip)("vfio-user idle CPU", () => {
  it("16 idle devices in one process use no CPU while nobody talks to them", async () => {
    assertAvailable(libvfioUser);
    const dir = mkdtempSync(join(tmpdir(), "vfu-idle-"));
    const child = spawn("bun", ["src/bin/serve-many.ts", "--count", "16", "--dir", dir], { cwd: serverDir, stdio: ["ignore", "pipe", "inherit"] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => d.toString().includes('"ready":true') && resolve());
        child.once("exit", (code) => reject(new Error(`serve-many exited with ${code}`)));
      });
      const c = await VfioUserClient.connect(join(dir, "dev3.sock"));
      expect(await c.bar0Read32(0)).toBe(DEVICE_ID_MAGIC_U32);
      c.close();
      // Start-up work (JIT, GC after the client left) has settled once a quarter second passes
      // without a CPU tick; then watch.
      await eventually("serve-many to go quiet", async () => {
        const t = cpuTicks(child.pid!);
        await new Promise((r) => setTimeout(r, 250));
        return cpuTicks(child.pid!) === t ? true : undefined;
      }, 15_000, 0);
      const before = cpuTicks(child.pid!);
      const idleMs = 3000;
      await new Promise((r) => setTimeout(r, idleMs));
      const used = cpuTicks(child.pid!) - before;
      const hz = 100; // USER_HZ on Linux
      console.log(`[vfio-user idle] 16 devices, ${idleMs} ms idle: ${used} CPU ticks (${((used / hz) * 1000).toFixed(0)} ms CPU)`);
      // Busy polling would show ~300 ticks (a whole core); a sleeping loop shows 0, maybe a GC tick.
      expect(used).toBeLessThan(idleMs / 10 / 10);
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
