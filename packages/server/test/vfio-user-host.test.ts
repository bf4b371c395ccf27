// VfioUserHost over real sockets and the real libvfio-user, driven by the TypeScript client the
// way QEMU drives it: negotiate, ask for device and region info, read config space and BAR0.
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertAvailable, requirement } from "@mock-accel/testkit";
import { VfioUserClient } from "../src/client/vfio-user-client.ts";
import { encodeVersionMessage } from "../src/client/vfio-user-codec.ts";
import { PCI_REGION } from "../src/client/vfio-user-protocol.ts";
import { buildDeviceConfig, uuidToCanonical } from "../src/device/device-config.ts";
import { MemoryLogger } from "../src/device/logger.ts";
import { REG, REGISTERS, PCI } from "../src/generated/registers.ts";
import { VfioUserHost, type HostRegisterWriteEvent } from "../src/transports/vfio-user/host.ts";
import { INSTALL_COMMAND } from "../src/transports/vfio-user/library-path.ts";
import { libvfioUser } from "./requirements.ts";
import { DEVICE_ID_MAGIC_U32 } from "./device-id.ts";

const serverDir = join(import.meta.dirname, "..");

const u32 = (b: Uint8Array, at = 0) => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(at, true);
const u16 = (b: Uint8Array, at = 0) => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint16(at, true);
const u64 = (b: Uint8Array, at = 0) => new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(at, true);
const le32 = (v: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
};

async function readReg(c: VfioUserClient, name: keyof typeof REG): Promise<Uint8Array> {
  const def = REG[name];
  return c.regionRead(PCI_REGION.BAR0, def.offsetBytes, def.sizeBytes);
}

/** A raw socket that has done the VERSION handshake, for sending malformed messages. */
async function rawSession(path: string): Promise<Socket> {
  const sock = connect({ path });
  await new Promise<void>((resolve, reject) => {
    sock.once("connect", resolve);
    sock.once("error", reject);
  });
  sock.write(encodeVersionMessage());
  await new Promise<void>((resolve, reject) => {
    let got = 0;
    const onData = (chunk: Buffer) => {
      got += chunk.length;
      if (got >= 20) {
        sock.off("data", onData);
        resolve();
      }
    };
    sock.on("data", onData);
    sock.once("error", reject);
  });
  return sock;
}

function closeRaw(sock: Socket): Promise<void> {
  return new Promise((resolve) => {
    // The server may have dropped it already.
    if (sock.closed) return resolve();
    sock.once("close", () => resolve());
    sock.destroy();
  });
}

const header = (cmd: number, size: number, id = 7) => {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint16(0, id, true);
  v.setUint16(2, cmd, true);
  v.setUint32(4, size, true);
  return b;
};

describe.skipIf(libvfioUser.skip)("VfioUserHost: one PF over vfio-user", () => {
  let dir: string;
  let host: VfioUserHost;
  let socketPath: string;
  const log = new MemoryLogger();
  const writes: HostRegisterWriteEvent[] = [];
  const config = buildDeviceConfig({ kind: "pf", uuid: "host-test-pf", totalVfs: 4 });

  beforeAll(async () => {
    assertAvailable(libvfioUser);
    dir = mkdtempSync(join(tmpdir(), "vfu-host-"));
    host = await VfioUserHost.start({ log, logLevel: "info", clientTimeoutMs: 1000 });
    const dev = await host.addDevice({ socketPath: join(dir, "pf0.sock"), kind: "pf", config });
    socketPath = dev.socketPath;
    host.on("register-write", (e) => writes.push(e));
  });
  afterAll(async () => {
    await host?.close();
    if (dir) rmSync(dir, { recursive: true, force: true }); // unset when the requirement failed
  });

  it("negotiates the protocol version and reports a PCI device with its regions", async () => {
    const c = await VfioUserClient.connect(socketPath);
    try {
      expect(c.version?.major).toBe(0);
      expect(c.version?.minor).toBeGreaterThanOrEqual(1);
      const info = await c.deviceInfo();
      expect(info.pci).toBe(true);
      expect(info.reset).toBe(true);
      expect(info.numRegions).toBe(10);
      const bar0 = await c.regionInfo(PCI_REGION.BAR0);
      expect(bar0).toMatchObject({ sizeBytes: 4096, readable: true, writable: true, mmappable: false });
      const cfg = await c.regionInfo(PCI_REGION.CONFIG);
      expect(cfg).toMatchObject({ sizeBytes: 4096, readable: true, writable: true });
      expect((await c.regionInfo(PCI_REGION.BAR1)).sizeBytes).toBe(0);
    } finally {
      c.close();
    }
  });

  it("config space shows the spec's IDs, class and a PCI Express capability", async () => {
    const c = await VfioUserClient.connect(socketPath);
    try {
      expect(await c.configRead(0x00, 2)).toBe(PCI.vendorId);
      expect(await c.configRead(0x02, 2)).toBe(PCI.pfDeviceId);
      expect(await c.configRead(0x08, 1)).toBe(PCI.revisionId);
      expect((await c.configRead(0x08, 4)) >>> 8).toBe(PCI.classCode);
      expect(await c.configRead(0x2c, 2)).toBe(PCI.subsystemVendorId);
      expect(await c.configRead(0x2e, 2)).toBe(PCI.subsystemId);
      // Capability list: status bit 4, pointer at 0x34 leads to the PCIe capability (ID 0x10).
      expect((await c.configRead(0x06, 2)) & 0x10).toBe(0x10);
      const capPtr = await c.configRead(0x34, 1);
      expect(capPtr).toBeGreaterThanOrEqual(0x40);
      expect(await c.configRead(capPtr, 1)).toBe(0x10);
      // BAR0 is a 32-bit memory BAR: sizing reads back ~(4096 - 1).
      await c.configWrite(0x10, 4, 0xffffffff);
      expect(((await c.configRead(0x10, 4)) & 0xfffffff0) >>> 0).toBe(0xfffff000);
    } finally {
      c.close();
    }
  });

  it("config space carries the SR-IOV extended capability at 0x100 with the PF's VF count", async () => {
    const c = await VfioUserClient.connect(socketPath);
    try {
      const headerWord = await c.configRead(0x100, 4);
      expect(headerWord & 0xffff).toBe(0x0010); // SR-IOV
      expect((headerWord >>> 16) & 0xf).toBe(1); // version
      expect(await c.configRead(0x10c, 2)).toBe(4); // InitialVFs
      expect(await c.configRead(0x10e, 2)).toBe(4); // TotalVFs
      expect(await c.configRead(0x114, 2)).toBe(PCI.sriov.firstVfOffset);
      expect(await c.configRead(0x116, 2)).toBe(PCI.sriov.vfStride);
      expect(await c.configRead(0x11a, 2)).toBe(PCI.vfDeviceId);
    } finally {
      c.close();
    }
  });

  it("BAR0 answers every register at every width: 1, 2, 4 and 8-byte pieces agree with the whole", async () => {
    const c = await VfioUserClient.connect(socketPath);
    try {
      expect(u32(await readReg(c, "DEVICE_ID"))).toBe(DEVICE_ID_MAGIC_U32);
      // 16 GiB through two 32-bit reads, as the kernel's ioread32 makes them.
      const lo = u32(await c.regionRead(PCI_REGION.BAR0, REG.MEMORY_SIZE.offsetBytes, 4));
      const hi = u32(await c.regionRead(PCI_REGION.BAR0, REG.MEMORY_SIZE.offsetBytes + 4, 4));
      expect((BigInt(hi) << 32n) | BigInt(lo)).toBe(16n << 30n);
      expect(u64(await readReg(c, "MEMORY_SIZE"))).toBe(16n << 30n);
      expect(uuidToCanonical(await readReg(c, "UUID"))).toBe(uuidToCanonical(config.uuid));
      for (const def of REGISTERS) {
        const whole = await c.regionRead(PCI_REGION.BAR0, def.offsetBytes, def.sizeBytes);
        for (const width of [1, 2, 4, 8]) {
          if (width > def.sizeBytes) continue;
          const pieces = new Uint8Array(def.sizeBytes);
          for (let at = 0; at < def.sizeBytes; at += width) {
            pieces.set(await c.regionRead(PCI_REGION.BAR0, def.offsetBytes + at, width), at);
          }
          expect(pieces, `${def.name} read ${width} bytes at a time`).toEqual(whole);
        }
      }
      // A hole reads 0; a read past the end of BAR0 is refused and the connection survives.
      expect(u32(await c.regionRead(PCI_REGION.BAR0, 0xffc, 4))).toBe(0);
      await expect(c.regionRead(PCI_REGION.BAR0, 0xffc, 8)).rejects.toThrow();
      expect(u32(await readReg(c, "DEVICE_ID"))).toBe(DEVICE_ID_MAGIC_U32);
    } finally {
      c.close();
    }
  });

  it("a STATUS write reads back and reaches the main thread as a register-write event", async () => {
    const c = await VfioUserClient.connect(socketPath);
    try {
      await c.regionWrite(PCI_REGION.BAR0, REG.STATUS.offsetBytes, le32(0x1));
      expect(u32(await readReg(c, "STATUS"))).toBe(1);
      await expect.poll(() => writes.find((w) => w.name === "STATUS" && w.value === 1n)).toMatchObject({ socketPath, kind: "pf" });
      // Read-only registers ignore writes.
      await c.regionWrite(PCI_REGION.BAR0, REG.DEVICE_ID.offsetBytes, le32(0));
      expect(u32(await readReg(c, "DEVICE_ID"))).toBe(DEVICE_ID_MAGIC_U32);
    } finally {
      c.close();
    }
  });

  it("generates a passphrase: write length and GENERATE, status reads ready, the buffer holds the words", async () => {
    const c = await VfioUserClient.connect(socketPath);
    try {
      await c.regionWrite(PCI_REGION.BAR0, REG.PASSPHRASE_LENGTH.offsetBytes, le32(6));
      await c.regionWrite(PCI_REGION.BAR0, REG.PASSPHRASE_CMD.offsetBytes, le32(1));
      expect(u32(await readReg(c, "PASSPHRASE_STATUS"))).toBe(2);
      expect(u32(await readReg(c, "PASSPHRASE_COUNT"))).toBe(6);
      const buf = await readReg(c, "PASSPHRASE_BUFFER");
      const text = new TextDecoder().decode(buf.subarray(0, buf.indexOf(0)));
      expect(text.split(" ")).toHaveLength(6);
    } finally {
      c.close();
    }
  });

  it("device reset restores reset values", async () => {
    const c = await VfioUserClient.connect(socketPath);
    try {
      await c.regionWrite(PCI_REGION.BAR0, REG.STATUS.offsetBytes, le32(0xabc));
      expect(u32(await readReg(c, "STATUS"))).toBe(0xabc);
      await c.reset();
      expect(u32(await readReg(c, "STATUS"))).toBe(0);
      expect(u32(await readReg(c, "DEVICE_ID"))).toBe(DEVICE_ID_MAGIC_U32);
    } finally {
      c.close();
    }
  });

  it("100 disconnect/reconnect cycles: the device listens again and keeps its registers", async () => {
    for (let i = 1; i <= 100; i++) {
      const c = await VfioUserClient.connect(socketPath);
      expect(u32(await readReg(c, "STATUS"))).toBe(i - 1);
      await c.regionWrite(PCI_REGION.BAR0, REG.STATUS.offsetBytes, le32(i));
      c.close();
    }
    const c = await VfioUserClient.connect(socketPath);
    expect(u32(await readReg(c, "STATUS"))).toBe(100);
    await c.regionWrite(PCI_REGION.BAR0, REG.STATUS.offsetBytes, le32(0));
    c.close();
    // Logs reach the main thread through the event ring, drained on a timer.
    await expect.poll(() => log.find("client disconnected").length).toBeGreaterThanOrEqual(100);
    expect(host.stats().detached).toBeGreaterThanOrEqual(100);
  });

  it("a client coming and going reaches the main thread as two client events, in order", async () => {
    // A device of its own: the earlier tests' clients may still be on their way through the ring.
    const own = (await host.addDevice({ socketPath: join(dir, "events.sock"), kind: "pf", config: buildDeviceConfig({ kind: "pf", uuid: "events" }) })).socketPath;
    const seen: string[] = [];
    const onClient = (e: { socketPath: string; connected: boolean }) => {
      if (e.socketPath === own) seen.push(`${e.connected}`);
    };
    host.on("client", onClient);
    try {
      for (let i = 0; i < 3; i++) {
        const c = await VfioUserClient.connect(own);
        await readReg(c, "STATUS");
        c.close();
        await expect.poll(() => seen.length).toBe(2 * (i + 1));
      }
      expect(seen).toEqual(["true", "false", "true", "false", "true", "false"]);
    } finally {
      host.off("client", onClient);
    }
  });

  it("garbage, truncated, oversized and stalled clients do not kill the server", async () => {
    // Garbage instead of the VERSION handshake.
    let s = connect({ path: socketPath });
    s.write(Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n".repeat(20)));
    s.resume(); // not a VERSION message: the server drops the connection
    await new Promise<void>((resolve) => (s.closed ? resolve() : s.once("close", () => resolve())));
    await closeRaw(s);
    // A VERSION with a major version libvfio-user does not speak: refused, connection closed.
    s = connect({ path: socketPath });
    const badVersion = header(1, 20, 1);
    const bv = new Uint8Array(20);
    bv.set(badVersion);
    new DataView(bv.buffer).setUint16(16, 9, true);
    s.write(bv);
    s.resume(); // read the error reply, so the end of the stream is seen
    await new Promise<void>((resolve) => (s.closed ? resolve() : s.once("close", () => resolve())));
    // A header claiming 64 MiB, then close.
    s = await rawSession(socketPath);
    s.write(header(9, 64 << 20));
    await closeRaw(s);
    // A REGION_READ cut off half-way through its payload, then close.
    s = await rawSession(socketPath);
    s.write(header(9, 32).subarray(0, 10));
    await closeRaw(s);
    // A command number nobody knows, a reply-typed message, and a zero-size header.
    s = await rawSession(socketPath);
    s.write(header(0x7777, 16));
    s.write(header(0, 0));
    // The server has read them once it answers (an error reply) or hangs up.
    await new Promise<void>((resolve) => (s.closed ? resolve() : (s.once("data", () => resolve()), s.once("close", () => resolve()))));
    await closeRaw(s);
    // Truncated and held open.
    s = await rawSession(socketPath);
    s.write(header(9, 48));
    s.write(new Uint8Array(8));
    // Held until the worker's loop has turned after those bytes (it takes in another connection):
    // a partial message holds nothing, so the server waits for the rest rather than hanging up.
    const acceptedBefore = host.stats().accepted;
    const probe = connect({ path: socketPath });
    await expect.poll(() => host.stats().accepted).toBeGreaterThan(acceptedBefore);
    await closeRaw(probe);
    await closeRaw(s);
    // Connects and says nothing.
    s = connect({ path: socketPath });
    s.resume(); // held until the server drops it for sending no VERSION (client timeout)
    await new Promise<void>((resolve) => (s.closed ? resolve() : s.once("close", () => resolve())));
    await closeRaw(s);

    const c = await VfioUserClient.connect(socketPath);
    try {
      expect(u32(await readReg(c, "DEVICE_ID"))).toBe(DEVICE_ID_MAGIC_U32);
      expect(await c.configRead(0x00, 2)).toBe(PCI.vendorId);
    } finally {
      c.close();
    }
  });
});

describe.skipIf(libvfioUser.skip)("VfioUserHost: PFs and VFs in one process", () => {
  let dir: string;
  let host: VfioUserHost;
  beforeAll(async () => {
    assertAvailable(libvfioUser);
    dir = mkdtempSync(join(tmpdir(), "vfu-multi-"));
    host = await VfioUserHost.start({ clientTimeoutMs: 1000 });
  });
  afterAll(async () => {
    await host?.close();
    if (dir) rmSync(dir, { recursive: true, force: true }); // unset when the requirement failed
  });

  it("serves two PFs with their VFs; each answers with its own identity and registers", async () => {
    const layout = [
      { name: "pf0", kind: "pf" as const, totalVfs: 2 },
      { name: "pf0vf0", kind: "vf" as const, vfIndex: 0 },
      { name: "pf0vf1", kind: "vf" as const, vfIndex: 1 },
      { name: "pf1", kind: "pf" as const, totalVfs: 1 },
      { name: "pf1vf0", kind: "vf" as const, vfIndex: 0 },
    ];
    const devices = await Promise.all(
      layout.map((d) =>
        host.addDevice({ socketPath: join(dir, `${d.name}.sock`), kind: d.kind, config: buildDeviceConfig({ kind: d.kind, uuid: d.name, totalVfs: d.totalVfs, vfIndex: d.vfIndex }) }),
      ),
    );
    expect(host.socketPaths).toHaveLength(5);
    const clients = await Promise.all(devices.map((d) => VfioUserClient.connect(d.socketPath)));
    try {
      await Promise.all(clients.map((c, i) => c.regionWrite(PCI_REGION.BAR0, REG.STATUS.offsetBytes, le32(0x100 + i))));
      for (const [i, d] of layout.entries()) {
        const c = clients[i]!;
        expect(await c.configRead(0x02, 2), d.name).toBe(d.kind === "pf" ? PCI.pfDeviceId : PCI.vfDeviceId);
        expect(u32(await readReg(c, "STATUS")), d.name).toBe(0x100 + i);
        expect(uuidToCanonical(await readReg(c, "UUID"))).toBe(uuidToCanonical(buildDeviceConfig({ kind: d.kind, uuid: d.name, totalVfs: d.totalVfs, vfIndex: d.vfIndex }).uuid));
        if (d.kind === "pf") {
          expect(u32(await readReg(c, "SRIOV_TOTAL_VFS"))).toBe(d.totalVfs);
          expect(u32(await readReg(c, "VF_INDEX"))).toBe(0xffffffff);
          expect(await c.configRead(0x10e, 2)).toBe(d.totalVfs);
        } else {
          expect(u32(await readReg(c, "VF_INDEX"))).toBe(d.vfIndex);
          expect(u32(await readReg(c, "SRIOV_TOTAL_VFS"))).toBe(0);
          // No SR-IOV capability on a VF.
          expect(await c.configRead(0x100, 4)).toBe(0);
        }
      }
      const uuids = await Promise.all(clients.map(async (c) => uuidToCanonical(await readReg(c, "UUID"))));
      expect(new Set(uuids).size).toBe(5);
    } finally {
      for (const c of clients) c.close();
    }
    // Removing one device removes its socket; the others keep serving.
    await devices[1]!.close();
    expect(existsSync(devices[1]!.socketPath)).toBe(false);
    const c = await VfioUserClient.connect(devices[2]!.socketPath);
    expect(u32(await readReg(c, "VF_INDEX"))).toBe(1);
    c.close();
  });

  it("a client stalled mid-message on one device delays the others by at most the client timeout", async () => {
    const a = await host.addDevice({ socketPath: join(dir, "stall-a.sock"), kind: "pf", config: buildDeviceConfig({ kind: "pf", uuid: "a" }) });
    const b = await host.addDevice({ socketPath: join(dir, "stall-b.sock"), kind: "pf", config: buildDeviceConfig({ kind: "pf", uuid: "b" }) });
    const stalled = await rawSession(a.socketPath);
    stalled.write(header(9, 48));
    const c = await VfioUserClient.connect(b.socketPath);
    try {
      expect(u32(await readReg(c, "DEVICE_ID"))).toBe(DEVICE_ID_MAGIC_U32);
    } finally {
      c.close();
      await closeRaw(stalled);
    }
    const again = await VfioUserClient.connect(a.socketPath);
    expect(u32(await readReg(again, "DEVICE_ID"))).toBe(DEVICE_ID_MAGIC_U32);
    again.close();

    // A client that connects and never sends VERSION blocks libvfio-user's handshake; the
    // watchdog interrupts it and the other device answers.
    const acceptedBefore = host.stats().accepted;
    const silent = connect({ path: a.socketPath });
    await expect.poll(() => host.stats().accepted).toBeGreaterThan(acceptedBefore); // the worker took it in
    const c2 = await VfioUserClient.connect(b.socketPath);
    try {
      expect(u32(await readReg(c2, "DEVICE_ID"))).toBe(DEVICE_ID_MAGIC_U32);
    } finally {
      c2.close();
      await closeRaw(silent);
    }
  });

  it("survives 300 hostile connections: random bytes, before and after the handshake", async () => {
    const dev = await host.addDevice({ socketPath: join(dir, "fuzz.sock"), kind: "pf", config: buildDeviceConfig({ kind: "pf", uuid: "fuzz" }) });
    // A fixed-seed generator, so a failure replays.
    let seed = 0x1234567;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 300; i++) {
      const afterHandshake = i % 2 === 1;
      const s = afterHandshake ? await rawSession(dev.socketPath) : connect({ path: dev.socketPath });
      const junk = new Uint8Array(1 + Math.floor(rand() * 64));
      for (let j = 0; j < junk.length; j++) junk[j] = Math.floor(rand() * 256);
      if (afterHandshake && i % 4 === 1) {
        // A plausible header (REGION_READ/WRITE, sizes around the payload) followed by junk.
        junk.set(header(9 + (i % 8 === 1 ? 1 : 0), 16 + Math.floor(rand() * 48)).subarray(0, Math.min(16, junk.length)));
      }
      s.write(junk);
      await closeRaw(s);
    }
    const c = await VfioUserClient.connect(dev.socketPath);
    try {
      expect(u32(await readReg(c, "DEVICE_ID"))).toBe(DEVICE_ID_MAGIC_U32);
    } finally {
      c.close();
    }
  });
});

describe.skipIf(libvfioUser.skip)("VfioUserHost: a client that never finishes its handshake holds nothing", () => {
  let dir: string;
  let host: VfioUserHost;
  beforeAll(async () => {
    assertAvailable(libvfioUser);
    dir = mkdtempSync(join(tmpdir(), "vfu-silent-"));
    // Far longer than any client timeout in these tests: before the worker owned the handshake,
    // libvfio-user's blocking VERSION read held every device of the process this long.
    host = await VfioUserHost.start({ clientTimeoutMs: 60_000 });
  });
  afterAll(async () => {
    await host?.close();
    if (dir) rmSync(dir, { recursive: true, force: true }); // unset when the requirement failed
  });

  it("another device keeps answering while silent clients connect to one device over and over", async () => {
    const a = await host.addDevice({ socketPath: join(dir, "a.sock"), kind: "pf", config: buildDeviceConfig({ kind: "pf", uuid: "silent-a" }) });
    const b = await host.addDevice({ socketPath: join(dir, "b.sock"), kind: "pf", config: buildDeviceConfig({ kind: "pf", uuid: "silent-b" }) });
    const acceptedBefore = host.stats().accepted;
    const held = connect({ path: a.socketPath }); // connects and says nothing, for the whole test
    await expect.poll(() => host.stats().accepted).toBeGreaterThan(acceptedBefore); // the worker took it in
    const c = await VfioUserClient.connect(b.socketPath, { timeoutMs: 3000 });
    let stop = false;
    const silentLoop = (async () => {
      while (!stop) {
        const s = connect({ path: a.socketPath });
        await new Promise<void>((resolve) => (s.once("connect", () => resolve()), s.once("error", () => resolve())));
        await closeRaw(s);
      }
    })();
    try {
      for (let i = 0; i < 500; i++) expect(u32(await readReg(c, "DEVICE_ID"))).toBe(DEVICE_ID_MAGIC_U32);
    } finally {
      stop = true;
      await silentLoop;
      c.close();
    }
    // The silent device itself still takes a real client while the held one keeps waiting.
    const again = await VfioUserClient.connect(a.socketPath, { timeoutMs: 3000 });
    try {
      expect(uuidToCanonical(await readReg(again, "UUID"))).toBe(uuidToCanonical(buildDeviceConfig({ kind: "pf", uuid: "silent-a" }).uuid));
    } finally {
      again.close();
      await closeRaw(held);
    }
    expect(host.stats().accepted).toBeGreaterThan(2);
  });

  it("part of a VERSION, then a hang-up: the client is refused at once, not at the 60 s timeout", async () => {
    const d = await host.addDevice({ socketPath: join(dir, "part.sock"), kind: "pf", config: buildDeviceConfig({ kind: "pf", uuid: "part" }) });
    const refused = host.stats().handshakeRefused;
    const s = connect({ path: d.socketPath });
    s.on("error", () => {});
    // 5 of a header's 16 bytes: nothing the loop can judge yet; then the client closes its side.
    s.end(encodeVersionMessage({ major: 0 }).subarray(0, 5));
    s.resume();
    while (host.stats().handshakeRefused === refused) await new Promise((r) => setTimeout(r, 10));
    expect(host.stats().handshakeTimeouts).toBe(0);
    await closeRaw(s);
    await d.close();
  });

  it("part of a VERSION, then silence: the loop sleeps instead of waking for those bytes again and again", async () => {
    const d = await host.addDevice({ socketPath: join(dir, "quiet.sock"), kind: "pf", config: buildDeviceConfig({ kind: "pf", uuid: "quiet" }) });
    const accepted = host.stats().accepted;
    const s = connect({ path: d.socketPath });
    s.on("error", () => {});
    s.write(encodeVersionMessage({ major: 0 }).subarray(0, 5));
    s.resume();
    while (host.stats().accepted === accepted) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    const before = host.stats().wakeups;
    await new Promise((r) => setTimeout(r, 300));
    // Level-triggered, the queued bytes woke epoll_wait at once every turn: tens of thousands.
    expect(host.stats().wakeups - before).toBeLessThan(20);
    // The rest of the VERSION still completes the handshake.
    const attached = host.stats().attached;
    s.write(encodeVersionMessage({ major: 0 }).subarray(5));
    while (host.stats().attached === attached) await new Promise((r) => setTimeout(r, 10));
    await closeRaw(s);
    await d.close();
  });

  it("drops a client that sends no VERSION within the client timeout, and counts it", async () => {
    const quick = await VfioUserHost.start({ clientTimeoutMs: 100 });
    try {
      const d = await quick.addDevice({ socketPath: join(dir, "quick.sock"), kind: "pf", config: buildDeviceConfig({ kind: "pf", uuid: "quick" }) });
      const s = connect({ path: d.socketPath });
      s.resume();
      await new Promise<void>((resolve) => (s.closed ? resolve() : s.once("close", () => resolve())));
      expect(quick.stats().handshakeTimeouts).toBe(1);
      // Garbage instead of a VERSION header is refused without waiting for the timeout.
      const g = connect({ path: d.socketPath });
      g.write(Buffer.from("GET / HTTP/1.1\r\n\r\n"));
      g.resume();
      await new Promise<void>((resolve) => (g.closed ? resolve() : g.once("close", () => resolve())));
      expect(quick.stats().handshakeRefused).toBe(1);
      const c = await VfioUserClient.connect(d.socketPath);
      expect(u32(await readReg(c, "DEVICE_ID"))).toBe(DEVICE_ID_MAGIC_U32);
      c.close();
    } finally {
      await quick.close();
    }
  });
});

describe.skipIf(libvfioUser.skip)("VfioUserHost: socket files", () => {
  let dir: string;
  let host: VfioUserHost;
  beforeAll(async () => {
    assertAvailable(libvfioUser);
    dir = mkdtempSync(join(tmpdir(), "vfu-sock-"));
    host = await VfioUserHost.start();
  });
  afterAll(async () => {
    await host?.close();
    if (dir) rmSync(dir, { recursive: true, force: true }); // unset when the requirement failed
  });
  const config = buildDeviceConfig({ kind: "pf", uuid: "sockets" });

  it("creates sockets 0600 by default, or with the mode asked for", async () => {
    const a = await host.addDevice({ socketPath: join(dir, "a.sock"), kind: "pf", config });
    expect(statSync(a.socketPath).mode & 0o777).toBe(0o600);
    const b = await host.addDevice({ socketPath: join(dir, "b.sock"), kind: "pf", config, socketMode: 0o660 });
    expect(statSync(b.socketPath).mode & 0o777).toBe(0o660);
    await a.close();
    await b.close();
    expect(existsSync(a.socketPath)).toBe(false);
  });

  it("refuses to replace a path that is not a socket, and leaves it alone", async () => {
    const file = join(dir, "not-a-socket");
    writeFileSync(file, "precious");
    chmodSync(file, 0o644);
    await expect(host.addDevice({ socketPath: file, kind: "pf", config })).rejects.toThrow(/not a socket/);
    expect(readFileSync(file, "utf8")).toBe("precious");
  });

  it("refuses a path too long for a UNIX socket and a directory that does not exist", async () => {
    await expect(host.addDevice({ socketPath: join(dir, "x".repeat(120)), kind: "pf", config })).rejects.toThrow(/longer than 107 bytes/);
    await expect(host.addDevice({ socketPath: join(dir, "missing", "a.sock"), kind: "pf", config })).rejects.toThrow(/does not exist/);
  });

  it("refuses a live server's socket but takes over a stale one left by a killed server", async () => {
    const path = join(dir, "other.sock");
    const other = spawn("bun", ["src/bin/mock-accel-server.ts", path], { cwd: serverDir, stdio: ["ignore", "pipe", "pipe"] });
    try {
      await new Promise<void>((resolve, reject) => {
        other.stdout.on("data", (d: Buffer) => d.toString().includes("serving") && resolve());
        other.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
      });
      await expect(host.addDevice({ socketPath: path, kind: "pf", config })).rejects.toThrow(/another server is listening/);
    } finally {
      other.kill("SIGKILL");
      await new Promise((r) => other.once("exit", r));
    }
    expect(existsSync(path)).toBe(true); // SIGKILL left it behind
    const dev = await host.addDevice({ socketPath: path, kind: "pf", config });
    const c = await VfioUserClient.connect(dev.socketPath);
    expect(u32(await readReg(c, "DEVICE_ID"))).toBe(DEVICE_ID_MAGIC_U32);
    c.close();
  });

  it("close() removes every socket", async () => {
    const h = await VfioUserHost.start();
    const paths = [];
    for (let i = 0; i < 3; i++) paths.push((await h.addDevice({ socketPath: join(dir, `c${i}.sock`), kind: "pf", config })).socketPath);
    expect(paths.every((p) => existsSync(p))).toBe(true);
    // With a client attached: the host still closes, and the client sees the connection end.
    const attached = await VfioUserClient.connect(paths[0]!);
    expect(u32(await readReg(attached, "DEVICE_ID"))).toBe(DEVICE_ID_MAGIC_U32);
    await h.close();
    expect(paths.some((p) => existsSync(p))).toBe(false);
    await expect(readReg(attached, "DEVICE_ID")).rejects.toThrow();
    attached.close();
    await expect(h.addDevice({ socketPath: join(dir, "late.sock"), kind: "pf", config })).rejects.toThrow(/closed/);
  });
});

describe("VfioUserHost: libvfio-user missing", () => {
  it("says every path it tried and how to install it", async () => {
    const code = `
      import { VfioUserHost } from ${JSON.stringify(join(serverDir, "src/transports/vfio-user/host.ts"))};
      try { const h = await VfioUserHost.start(); console.log("OPENED " + h.libraryPath); await h.close(); }
      catch (e) { console.log(e.message); }`;
    const child = spawn("bun", ["-e", code], {
      env: { ...process.env, LIBVFIO_USER_PATH: "/nonexistent/libvfio-user.so.0", MOCK_ACCEL_CACHE: "/nonexistent-cache" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    await new Promise((r) => child.once("exit", r));
    if (out.startsWith("OPENED")) {
      // Installed system-wide: then the system path is what opened.
      expect(out).toContain("OPENED libvfio-user.so.0");
      return;
    }
    expect(out).toContain("libvfio-user not found");
    expect(out).toContain("/nonexistent/libvfio-user.so.0 (LIBVFIO_USER_PATH): no such file");
    expect(out).toContain("/nonexistent-cache/libvfio-user/lib/libvfio-user.so.0");
    expect(out).toContain("libvfio-user.so.0 (system library path)");
    expect(out).toContain(INSTALL_COMMAND);
  });
});
