// The worker's handshake pool and its warnings about refused clients: at most 32 clients wait
// for their VERSION per device (the oldest silent one makes room for a newcomer), a client whose
// VERSION arrives while another holds the device waits its turn, and a flood of refused clients
// makes a few lines per second per device, the rest summed up in one.
import { connect, type Socket } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertAvailable } from "@mock-accel/testkit";
import { VfioUserClient } from "../src/client/vfio-user-client.ts";
import { encodeVersionMessage } from "../src/client/vfio-user-codec.ts";
import { PCI_REGION } from "../src/client/vfio-user-protocol.ts";
import { buildDeviceConfig } from "../src/device/device-config.ts";
import { MemoryLogger } from "../src/device/logger.ts";
import { REG } from "../src/generated/registers.ts";
import { CLIENT_WARNINGS_PER_SECOND, ClientWarnings, clientWarningSummary } from "../src/transports/vfio-user/client-warnings.ts";
import { VfioUserHost } from "../src/transports/vfio-user/host.ts";
import { libvfioUser } from "./requirements.ts";
import { DEVICE_ID_MAGIC_U32 } from "./device-id.ts";

const PER_DEVICE = 32;

function connected(path: string): Promise<Socket> {
  const s = connect({ path });
  s.on("error", () => {});
  s.resume();
  return new Promise((resolve, reject) => {
    s.once("connect", () => resolve(s));
    s.once("error", reject);
  });
}

function closedByPeer(s: Socket): Promise<void> {
  return new Promise((resolve) => (s.closed || s.readableEnded ? resolve() : s.once("end", () => resolve()).once("close", () => resolve())));
}

async function deviceId(c: VfioUserClient): Promise<number> {
  const b = await c.regionRead(PCI_REGION.BAR0, REG.DEVICE_ID.offsetBytes, 4);
  return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
}

describe("ClientWarnings: the first few per second, then a count", () => {
  it("admits the first N of a second, counts the rest, and gives the count once that second is over", () => {
    const w = new ClientWarnings(3);
    const admitted = [0, 10, 20, 30, 40, 50].map((t) => w.admit(t));
    expect(admitted).toEqual([true, true, true, false, false, false]);
    expect(w.takeSummary(999)).toBe(0); // the second is not over
    expect(w.summaryDue).toBe(1000);
    expect(w.takeSummary(1000)).toBe(3);
    expect(w.takeSummary(1001)).toBe(0); // given once
    expect(w.summaryDue).toBe(Infinity);
    // A new second starts with the next warning, with N verbatim again.
    expect([5000, 5001, 5002, 5003].map((t) => w.admit(t))).toEqual([true, true, true, false]);
    expect(w.takeSummary(6000)).toBe(1);
  });

  it("while a flood lasts it only counts, one summary a second; after a quiet second it logs the first N again", () => {
    const w = new ClientWarnings(2);
    expect([0, 1, 2, 3].map((t) => w.admit(t))).toEqual([true, true, false, false]);
    expect(w.flooding).toBe(false);
    expect(w.takeSummary(1000)).toBe(2);
    // The next second follows at once: a flood, nothing verbatim.
    expect([1000, 1001, 1002].map((t) => w.admit(t))).toEqual([false, false, false]);
    expect(w.flooding).toBe(true);
    expect(w.takeSummary(2000)).toBe(3);
    expect([2000, 2500].map((t) => w.admit(t))).toEqual([false, false]);
    expect(w.takeSummary(3000)).toBe(2);
    // A second without any: the flood is over.
    expect([4500, 4501, 4502].map((t) => w.admit(t))).toEqual([true, true, false]);
    expect(w.flooding).toBe(false);
    expect(clientWarningSummary(3, 2, true)).toBe("3 clients refused or dropped in the last second (a flood: only counted until a second passes without one)");
  });

  it("nothing left out, nothing to summarize", () => {
    const w = new ClientWarnings(3);
    w.admit(0);
    expect(w.summaryDue).toBe(Infinity);
    expect(w.takeSummary(10_000)).toBe(0);
    expect(clientWarningSummary(7, 3)).toBe("7 more clients refused or dropped in the last second (only the first 3 each second are logged)");
  });
});

describe.skipIf(libvfioUser.skip)("vfio-user worker: handshakes", () => {
  let dir: string;
  beforeAll(() => {
    assertAvailable(libvfioUser);
    dir = mkdtempSync(join(tmpdir(), "vfu-hs-"));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`keeps ${PER_DEVICE} silent clients per device: a newcomer drops the oldest, and a real client still gets in`, async () => {
    const host = await VfioUserHost.start({ clientTimeoutMs: 60_000 });
    const silent: Socket[] = [];
    try {
      const d = await host.addDevice({ socketPath: join(dir, "full.sock"), kind: "pf", config: buildDeviceConfig({ kind: "pf", uuid: "hs-full" }) });
      // One at a time, each taken in before the next, so "oldest" is the order of this array.
      for (let i = 0; i < PER_DEVICE + 8; i++) {
        silent.push(await connected(d.socketPath));
        await expect.poll(() => host.stats().accepted).toBe(i + 1);
      }
      expect(host.stats().overflow).toBe(8);
      await Promise.all(silent.slice(0, 8).map(closedByPeer));
      expect(silent.slice(8).every((s) => !s.readableEnded && !s.closed)).toBe(true);
      // The real client takes the place of the oldest silent one left.
      const c = await VfioUserClient.connect(d.socketPath, { timeoutMs: 5000 });
      expect(await deviceId(c)).toBe(DEVICE_ID_MAGIC_U32);
      c.close();
      await closedByPeer(silent[8]!);
      expect(host.stats().overflow).toBe(9);
      expect(host.stats().handshakeTimeouts).toBe(0);
    } finally {
      for (const s of silent) s.destroy();
      await host.close();
    }
  });

  it("a client whose VERSION arrives while another holds the device waits its turn, then is served", async () => {
    const host = await VfioUserHost.start({ clientTimeoutMs: 500 });
    try {
      const d = await host.addDevice({ socketPath: join(dir, "turn.sock"), kind: "pf", config: buildDeviceConfig({ kind: "pf", uuid: "hs-turn" }) });
      const first = await VfioUserClient.connect(d.socketPath, { timeoutMs: 5000 });
      let served = false;
      const second = VfioUserClient.connect(d.socketPath, { timeoutMs: 10_000 }).then((c) => ((served = true), c));
      await expect.poll(() => host.stats().accepted).toBe(2);
      // Held well past the client timeout: a parked client has no deadline.
      await new Promise((r) => setTimeout(r, 1200));
      expect(served).toBe(false);
      expect(await deviceId(first)).toBe(DEVICE_ID_MAGIC_U32);
      first.close();
      const c = await second;
      expect(await deviceId(c)).toBe(DEVICE_ID_MAGIC_U32);
      c.close();
      expect(host.stats().handshakeTimeouts).toBe(0);
      expect(host.stats().attached).toBe(2);
    } finally {
      await host.close();
    }
  });

  it(`a flood of refused clients logs at most ${CLIENT_WARNINGS_PER_SECOND} per second per device and a count for the rest`, async () => {
    const log = new MemoryLogger();
    const host = await VfioUserHost.start({ log, logLevel: "warn" });
    const clients = 100;
    try {
      const d = await host.addDevice({ socketPath: join(dir, "flood.sock"), kind: "pf", config: buildDeviceConfig({ kind: "pf", uuid: "hs-flood" }) });
      for (let i = 0; i < clients; i++) {
        // A major version nobody speaks: libvfio-user refuses it.
        const s = await connected(d.socketPath);
        s.write(encodeVersionMessage({ major: 9 }));
        await closedByPeer(s);
        s.destroy();
      }
      expect(host.stats().handshakeRefused).toBe(clients);
      const summed = () => log.find("refused or dropped in the last second", "warn").reduce((n, m) => n + Number(/: (\d+) (?:more )?clients? refused/.exec(m)![1]), 0);
      const verbatim = () => log.find("client refused during negotiation", "warn").length;
      // Every refused client is in the log: as its own line or in a count once its second is over.
      await expect.poll(() => verbatim() + summed(), { timeout: 5000 }).toBe(clients);
      expect(verbatim()).toBeLessThan(clients);
      expect(summed()).toBeGreaterThan(0);
      // The device still serves.
      const c = await VfioUserClient.connect(d.socketPath, { timeoutMs: 5000 });
      expect(await deviceId(c)).toBe(DEVICE_ID_MAGIC_U32);
      c.close();
    } finally {
      await host.close();
    }
  });
});
