// The event-loop worker allocates next to nothing per connection. Every byte it allocates is
// garbage its collector must trace, and a collection stops the one thread that answers every
// device: in the issue-17 soak such pauses were the longest events of the loop (3-25 ms each,
// about 14 KB allocated per connection). Counted with JavaScriptCore's own GC log, not timed.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertAvailable, requirement } from "@mock-accel/testkit";
import { VfioUserClient } from "../src/client/vfio-user-client.ts";
import { PCI_REGION } from "../src/client/vfio-user-protocol.ts";
import { REG } from "../src/generated/registers.ts";
import { INSTALL_COMMAND } from "../src/transports/vfio-user/library-path.ts";
import { libvfioUserInstalled } from "../src/transports/vfio-user/libvfio-user.ts";

const lib = requirement("libvfio-user", libvfioUserInstalled(), INSTALL_COMMAND);
const CONNECTIONS = 20_000;
/** JavaScriptCore collects the young generation every ~8 MB allocated (its log says so). */
const MAX_WORKER_COLLECTIONS = 2;

/** Heap address -> collections started, from `[GC<0x...>: START ...` lines. */
function collections(log: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of log.matchAll(/\[GC<(0x[0-9a-f]+)>: START /g)) out.set(m[1]!, (out.get(m[1]!) ?? 0) + 1);
  return out;
}

describe.skipIf(lib.skip)("vfio-user worker: allocation per connection", () => {
  let dir: string;
  beforeAll(() => {
    assertAvailable(lib);
    dir = mkdtempSync(join(tmpdir(), "vfu-gc-"));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`${CONNECTIONS} clean connections cost the worker at most ${MAX_WORKER_COLLECTIONS} collections`, async () => {
    const socketPath = join(dir, "gc.sock");
    const child = spawn("bun", [join(import.meta.dirname, "worker-gc-server.ts"), socketPath], {
      env: { ...process.env, BUN_JSC_logGC: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
        void exited.then((code) => reject(new Error(`server exited with ${code}: ${err.slice(-2000)}`)));
      });
      for (let i = 0; i < CONNECTIONS; i++) {
        const c = await VfioUserClient.connect(socketPath, { timeoutMs: 10_000 });
        await c.regionRead(PCI_REGION.BAR0, REG.STATUS.offsetBytes, 4);
        c.close();
      }
    } finally {
      child.kill("SIGTERM");
      await exited;
    }
    const main = /\[GC<(0x[0-9a-f]+)>: START/.exec(err.slice(err.indexOf("MAIN-HEAP-BEGIN"), err.indexOf("MAIN-HEAP-END")))?.[1];
    expect(main, "the forced collection of the main thread's heap was logged").toBeDefined();
    const during = err.slice(err.indexOf("MAIN-HEAP-END"), err.indexOf("SOAK-END"));
    const worker = [...collections(during)].filter(([heap]) => heap !== main).reduce((n, [, c]) => n + c, 0);
    expect(worker).toBeLessThanOrEqual(MAX_WORKER_COLLECTIONS);
  });
});
