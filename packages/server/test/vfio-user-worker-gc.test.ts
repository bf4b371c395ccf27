// The event-loop worker allocates next to nothing per connection. Every byte it allocates is
// garbage its collector must trace, and a collection stops the one thread that answers every
// device: in the issue-17 soak such pauses were the longest events of the loop (3-25 ms each,
// about 14 KB allocated per connection). Counted with JavaScriptCore's own GC log, not timed:
// each collection the allocation of a thread asks for is logged with the bytes allocated since
// the last one ("Requesting GC because bytes allocated this cycle: N"), just before that
// collection's START line, which names the heap.
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
/**
 * History: ~2 KB per connection at the "warn" log level (~4 KB at "info"); then ~245 (a
 * handshake object, its Map and Set entries, a closure); with the handshake pool, 0: not one
 * collection asked for by the worker's allocation in 20,000 connections. The log's resolution
 * is one collection (~2.4 MB with the worker's heap, i.e. ~120 bytes per connection here), so
 * this limit says: no collection at all.
 */
const MAX_BYTES_PER_CONNECTION = 64;

/** Bytes whose allocation triggered collections, per heap address. */
function allocatedBytes(log: string): Map<string, { bytes: number; collections: number }> {
  const out = new Map<string, { bytes: number; collections: number }>();
  let requested = -1;
  for (const m of log.matchAll(/Requesting GC because bytes allocated this cycle: (\d+)|\[GC<(0x[0-9a-f]+)>: START /g)) {
    if (m[1] !== undefined) requested = Number(m[1]);
    else {
      const heap = out.get(m[2]!) ?? { bytes: 0, collections: 0 };
      if (requested >= 0) {
        heap.bytes += requested;
        heap.collections++;
      }
      out.set(m[2]!, heap);
      requested = -1;
    }
  }
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

  it(`the worker allocates at most ${MAX_BYTES_PER_CONNECTION} bytes per clean connection (${CONNECTIONS} connections)`, async () => {
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
    const heaps = [...allocatedBytes(during)].filter(([heap]) => heap !== main);
    const worker = heaps.reduce((n, [, { bytes }]) => n + bytes, 0);
    const collections = heaps.reduce((n, [, c]) => n + c.collections, 0);
    const perConnection = worker / CONNECTIONS;
    console.log(`worker: ${collections} collections asked for by allocation, ${worker} bytes, ${perConnection.toFixed(1)} per connection`);
    expect(perConnection).toBeLessThanOrEqual(MAX_BYTES_PER_CONNECTION);
  });
});
