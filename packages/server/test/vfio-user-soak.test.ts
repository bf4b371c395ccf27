// A device server is a long-running daemon. Before the worker stopped posting a message per
// event to the main thread, the process died with a segmentation fault after 15,000-27,000
// connections (issue 17). This runs a server process through more than that and checks it is
// still there and still answering. MOCK_ACCEL_SOAK_CONNECTIONS changes the count.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assertAvailable, requirement } from "@mock-accel/testkit";
import { VfioUserClient } from "../src/client/vfio-user-client.ts";
import { PCI_REGION } from "../src/client/vfio-user-protocol.ts";
import { REG } from "../src/generated/registers.ts";
import { INSTALL_COMMAND } from "../src/transports/vfio-user/library-path.ts";
import { libvfioUserInstalled } from "../src/transports/vfio-user/libvfio-user.ts";

const lib = requirement("libvfio-user", libvfioUserInstalled(), INSTALL_COMMAND);
const serverDir = join(import.meta.dirname, "..");
const connections = Number(process.env.MOCK_ACCEL_SOAK_CONNECTIONS ?? 40_000);

describe.skipIf(lib.skip)("vfio-user server soak", () => {
  it(`a server process takes ${connections} connections and is still answering`, { timeout: 600_000 }, async () => {
    assertAvailable(lib);
    const dir = mkdtempSync(join(tmpdir(), "vfu-soak-"));
    const child = spawn("bun", ["src/bin/serve-many.ts", "--count", "2", "--dir", dir], { cwd: serverDir, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    let exited: string | undefined;
    child.once("exit", (code, signal) => (exited = `exit code ${code}, signal ${signal}`));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.once("data", () => resolve());
        child.once("exit", () => reject(new Error(`serve-many exited before serving: ${stderr}`)));
      });
      for (let i = 0; i < connections; i++) {
        if (exited) throw new Error(`server died after ${i} connections (${exited}): ${stderr}`);
        const c = await VfioUserClient.connect(join(dir, `dev${i % 2}.sock`), { timeoutMs: 10_000 });
        try {
          const id = await c.regionRead(PCI_REGION.BAR0, REG.DEVICE_ID.offsetBytes, 4);
          expect(new DataView(id.buffer, id.byteOffset).getUint32(0, true)).toBe(0x4b434f4d);
        } finally {
          c.close();
        }
      }
      await new Promise((r) => setTimeout(r, 200));
      expect(exited, stderr).toBeUndefined();
    } finally {
      child.kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
