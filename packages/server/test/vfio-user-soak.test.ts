// A device server is a long-running daemon. Before the worker stopped posting a message per
// event to the main thread, the process died with a segmentation fault after 15,000-27,000
// connections; before its loop stopped using bun:ffi's read.*/toArrayBuffer, a device read in
// a tight loop while others took hostile clients crashed the worker after a few thousand
// (issue 17). This runs a server process through both and checks it is still there and still
// answering. MOCK_ACCEL_SOAK_CONNECTIONS changes the count.
import { spawn } from "node:child_process";
import { connect } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assertAvailable } from "@mock-accel/testkit";
import { VfioUserClient } from "../src/client/vfio-user-client.ts";
import { encodeVersionMessage } from "../src/client/vfio-user-codec.ts";
import { PCI_REGION, VfioUserCommand } from "../src/client/vfio-user-protocol.ts";
import { REG } from "../src/generated/registers.ts";
import { libvfioUser } from "./requirements.ts";
import { DEVICE_ID_MAGIC_U32 } from "./device-id.ts";

const serverDir = join(import.meta.dirname, "..");
const connections = Number(process.env.MOCK_ACCEL_SOAK_CONNECTIONS ?? 40_000);

const versionMessage = (major: number) => encodeVersionMessage({ msgId: 0, major });

/** One hostile client, of kind `i` mod 4; it leaves as soon as it has said its piece. */
async function hostile(path: string, i: number): Promise<void> {
  const s = connect({ path });
  s.on("error", () => {});
  s.resume();
  await new Promise<void>((resolve) => {
    s.once("connect", () => resolve());
    s.once("error", () => resolve());
  });
  const header = new Uint8Array(16);
  const hv = new DataView(header.buffer);
  hv.setUint16(2, VfioUserCommand.REGION_READ, true);
  switch ((i >> 1) % 4) {
    case 0:
      s.write(new Uint8Array(24).fill(7));
      break;
    case 1:
      s.write(versionMessage(9));
      break;
    case 2:
      hv.setUint32(4, 32, true);
      s.write(versionMessage(0));
      s.write(header.subarray(0, 10));
      break;
    default:
      hv.setUint32(4, 64 << 20, true);
      s.write(versionMessage(0));
      s.write(header);
  }
  // Gone once the server has taken it in: it answered (a VERSION reply) or hung up.
  await new Promise<void>((resolve) => (s.closed ? resolve() : (s.once("data", () => resolve()), s.once("close", () => resolve()))));
  s.destroy();
  await new Promise<void>((resolve) => (s.closed ? resolve() : s.once("close", () => resolve())));
}

describe.skipIf(libvfioUser.skip)("vfio-user server soak", () => {
  it(`a server process takes ${connections} connections, half of them hostile, while one device is read without pause`, { timeout: 600_000 }, async () => {
    assertAvailable(libvfioUser);
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
      // dev0 is read without pause by one client for the whole run; dev1 takes the others,
      // every other one hostile (garbage, a bad VERSION, a cut-off or oversized message).
      let done = false;
      let reads = 0;
      const reader = (async () => {
        const c = await VfioUserClient.connect(join(dir, "dev0.sock"), { timeoutMs: 10_000 });
        try {
          while (!done && !exited) {
            await c.regionRead(PCI_REGION.BAR0, REG.DEVICE_ID.offsetBytes, 4);
            reads++;
          }
        } finally {
          c.close();
        }
      })();
      try {
        for (let i = 0; i < connections; i++) {
          if (exited) throw new Error(`server died after ${i} connections (${exited}): ${stderr}`);
          if (i % 2 === 1) {
            await hostile(join(dir, "dev1.sock"), i);
            continue;
          }
          const c = await VfioUserClient.connect(join(dir, "dev1.sock"), { timeoutMs: 10_000 });
          try {
            const id = await c.regionRead(PCI_REGION.BAR0, REG.DEVICE_ID.offsetBytes, 4);
            expect(new DataView(id.buffer, id.byteOffset).getUint32(0, true)).toBe(DEVICE_ID_MAGIC_U32);
          } finally {
            c.close();
          }
        }
      } finally {
        done = true;
        await reader.catch(() => {});
      }
      expect(reads).toBeGreaterThan(0);
      // One more client after the last hostile one: the server has handled them all and answers.
      const last = await VfioUserClient.connect(join(dir, "dev1.sock"), { timeoutMs: 10_000 });
      await last.regionRead(PCI_REGION.BAR0, REG.DEVICE_ID.offsetBytes, 4);
      last.close();
      expect(exited, stderr).toBeUndefined();
    } finally {
      child.kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
