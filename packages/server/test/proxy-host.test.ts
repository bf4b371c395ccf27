// The proxy transport end to end on this machine, without QEMU: a client speaks what
// x-pci-proxy-dev speaks (realize sequence, BAR programming, BAR accesses, reset, fds with
// SET_IRQFD / SYNC_SYSMEM) to devices served by ProxyHost. Hostile input closes only the
// connection it came on.
import { mkdtempSync, readdirSync, readlinkSync, readSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { MemoryLogger } from "../src/device/logger.ts";
import { buildDeviceConfig } from "../src/device/device-config.ts";
import { ProxyClient } from "../src/transports/proxy/proxy-client.ts";
import { ProxyHost, type ProxyHostedDevice as ProxyDevice } from "../src/transports/proxy/proxy-host.ts";
import { closeFd, connectUnixSocket, recvNow, sendWithFds, unixSocketPair } from "../src/transports/proxy/unix-socket.ts";
import { decodeReply, encodeMessage, HEADER_BYTES, REPLY_BYTES } from "../src/transports/proxy/wire.ts";
import { dlopen, FFIType, ptr } from "bun:ffi";
import { DEVICE_ID_MAGIC } from "./device-id.ts";

const BASE = 0xfe000000n;
const GiB = 1n << 30n;

let dir: string;
let host: ProxyHost;
let log: MemoryLogger;
let pf: ProxyDevice;
let vf: ProxyDevice;
let pf1: ProxyDevice;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "proxy-host-"));
  log = new MemoryLogger();
  host = await ProxyHost.start({ log });
  pf = await host.addDevice({
    socketPath: join(dir, "pf0.sock"),
    kind: "pf",
    config: buildDeviceConfig({ kind: "pf", uuid: "proxy-pf0", memorySize: "16G", totalVfs: 2, capabilities: 0x3 }),
    multifunction: true,
  });
  vf = await host.addDevice({ socketPath: join(dir, "pf0-vf1.sock"), kind: "vf", config: buildDeviceConfig({ kind: "vf", uuid: "proxy-pf0-vf1", vfIndex: 1 }) });
  pf1 = await host.addDevice({ socketPath: join(dir, "pf1.sock"), kind: "pf", config: buildDeviceConfig({ kind: "pf", uuid: "proxy-pf1" }) });
});

afterAll(async () => {
  await host.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Waits until the device has seen the previous peer leave (it takes one peer at a time). */
async function idle(device: ProxyDevice): Promise<void> {
  await expect.poll(() => device.connected, { timeout: 1000, interval: 2, message: `${device.name} still has a peer` }).toBe(false);
}

/** Connects (once the previous peer is gone), as QEMU does at start. */
async function connect(device: ProxyDevice): Promise<ProxyClient> {
  await idle(device);
  return ProxyClient.connect(device.socketPath);
}

/** Connects and does what QEMU and the guest's firmware do before the driver runs. */
async function bringUp(device: ProxyDevice): Promise<ProxyClient> {
  const c = await connect(device);
  await c.probe();
  await c.configWrite(0x10, 4, Number(BASE));
  await c.configWrite(0x04, 2, 0x0002);
  return c;
}

describe("proxy host: what QEMU and the guest see", () => {
  test("QEMU's realize reads the PF's IDs and sizes BAR0 at 4 KiB, no other BAR", async () => {
    const c = await connect(pf);
    const info = await c.probe();
    expect(info).toEqual({ vendorId: 0x1de5, deviceId: 0x0001, classCode: 0x120000, subsystemId: 0, barSizes: [4096, 0, 0, 0, 0, 0] });
    // A PF carrying VFs at functions 1..N says multifunction, or the guest never scans them.
    expect((await c.configRead(0x0e, 1)) & 0x80).toBe(0x80);
    // Conventional PCI: no capability list.
    expect((await c.configRead(0x06, 2)) & 0x10).toBe(0);
    c.close();
  });

  test("a VF has device id 0x0002", async () => {
    const c = await connect(vf);
    expect(await c.configRead(0x02, 2)).toBe(0x0002);
    c.close();
  });

  test("BAR reads at the programmed base hit BAR0's registers at any width", async () => {
    const c = await bringUp(pf);
    expect(pf.bar0Base).toBe(BASE);
    expect(await c.barRead(BASE, 4)).toBe(DEVICE_ID_MAGIC);
    // 16 GiB reads as 16 GiB through two 32-bit accesses, as the kernel's ioread32 does.
    const lo = await c.barRead(BASE + 0x20n, 4);
    const hi = await c.barRead(BASE + 0x24n, 4);
    expect((hi << 32n) | lo).toBe(16n * GiB);
    expect(await c.barRead(BASE + 0x20n, 8)).toBe(16n * GiB);
    expect(await c.barRead(BASE + 0x28n, 4)).toBe(0x3n);
    expect(await c.barRead(BASE + 0x34n, 4)).toBe(2n);
    expect(await c.barRead(BASE + 0x3cn, 4)).toBe(0xffffffffn);
    // UUID bytes in order.
    const expected = pf.device.readRegisterBytes("UUID");
    const b0 = await c.barRead(BASE + 0x08n, 8);
    expect(b0 & 0xffn).toBe(BigInt(expected[0]!));
    c.close();
  });

  test("a guest STATUS write lands in the register and the host hears of it", async () => {
    const c = await bringUp(pf);
    const heard = new Promise<{ name: string; value: bigint }>((resolve) =>
      host.once("register-write", (e) => resolve({ name: e.name, value: e.value })),
    );
    await c.barWrite(BASE + 0x2cn, 4, 0x1n);
    expect(await heard).toEqual({ name: "STATUS", value: 1n });
    expect(pf.device.readRegister("STATUS")).toBe(1n);
    expect(await c.barRead(BASE + 0x2cn, 4)).toBe(1n);
    c.close();
  });

  test("passphrase generation through BAR writes gives the requested number of words", async () => {
    const c = await bringUp(pf1);
    await c.barWrite(BASE + 0x104n, 4, 5n);
    await c.barWrite(BASE + 0x100n, 4, 1n);
    expect(await c.barRead(BASE + 0x108n, 4)).toBe(2n); // ready
    expect(await c.barRead(BASE + 0x10cn, 4)).toBe(5n);
    const bytes: number[] = [];
    for (let off = 0x200n; off < 0x300n; off += 4n) {
      const v = await c.barRead(BASE + off, 4);
      for (let i = 0n; i < 4n; i++) bytes.push(Number((v >> (8n * i)) & 0xffn));
    }
    const text = new TextDecoder().decode(new Uint8Array(bytes)).split("\0")[0]!;
    expect(text.split(" ")).toHaveLength(5);
    c.close();
  });

  test("an access outside BAR0 answers 0, is logged, and the connection stays up", async () => {
    const c = await bringUp(pf1);
    expect(await c.barRead(BASE + 0x1000n, 4)).toBe(0n);
    expect(await c.barRead(0x1000n, 4)).toBe(0n);
    expect(log.find("bad BAR0 read of 4 bytes at memory 0xfe001000", "warn")).toHaveLength(1);
    expect(await c.barRead(BASE, 4)).toBe(DEVICE_ID_MAGIC);
    c.close();
  });

  test("DEVICE_RESET resets registers and the BAR", async () => {
    const c = await bringUp(pf1);
    await c.barWrite(BASE + 0x2cn, 4, 0x5n);
    await c.reset();
    expect(pf1.device.readRegister("STATUS")).toBe(0n);
    expect(await c.configRead(0x10, 4)).toBe(0);
    c.close();
  });
});

describe("proxy host: a device on an already connected socket", () => {
  test("one end of a socketpair is served; the other end speaks to the device", async () => {
    const [mine, qemuEnd] = unixSocketPair();
    const dev = await host.addDevice({ fd: mine, kind: "vf", config: buildDeviceConfig({ kind: "vf", uuid: "proxy-fd-vf", vfIndex: 3 }) });
    expect(dev.socketPath).toBe(`fd:${mine}`);
    const ask = async (bytes: Uint8Array) => {
      sendWithFds(qemuEnd, bytes);
      for (let i = 0; i < 2000; i++) {
        const got = recvNow(qemuEnd, REPLY_BYTES);
        if (got === null) throw new Error("device closed the connection");
        if (got.length === REPLY_BYTES) return decodeReply(got);
        await Bun.sleep(1);
      }
      throw new Error("no reply");
    };
    expect(await ask(encodeMessage({ cmd: "PCI_CFGREAD", addr: 2, len: 2 }))).toBe(0x0002n);
    await ask(encodeMessage({ cmd: "PCI_CFGWRITE", addr: 0x10, len: 4, val: Number(BASE) }));
    expect(await ask(encodeMessage({ cmd: "BAR_READ", addr: BASE + 0x3cn, size: 4, memory: true }))).toBe(3n);
    expect(dev.connected).toBe(true);
    closeFd(qemuEnd);
    await expect.poll(() => dev.connected, { timeout: 1000, interval: 5 }).toBe(false);
    expect(dev.connected).toBe(false);
    await dev.close();
  });

  test("socketPath and fd together are refused", async () => {
    await expect(host.addDevice({ fd: 0, socketPath: join(dir, "x.sock"), kind: "pf", config: buildDeviceConfig({ kind: "pf", uuid: "x" }) })).rejects.toThrow(/either socketPath or fd/);
  });
});

describe("proxy host: file descriptors QEMU sends", () => {
  const O_NONBLOCK = 0o4000;
  const O_CLOEXEC = 0o2000000;
  const libc = dlopen("libc.so.6", { pipe2: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 } }).symbols;

  async function request(fd: number, bytes: Uint8Array): Promise<bigint> {
    sendWithFds(fd, bytes);
    let got = new Uint8Array(0);
    for (let i = 0; i < 2000 && got.length < REPLY_BYTES; i++) {
      const chunk = recvNow(fd, REPLY_BYTES - got.length);
      if (chunk === null) throw new Error("device closed the connection");
      if (chunk.length === 0) await Bun.sleep(1);
      else got = Uint8Array.from([...got, ...chunk]);
    }
    return decodeReply(got);
  }

  /** This process's fds that refer to the same open file as `fd` (itself included). */
  const sameFile = (fd: number) => {
    const target = readlinkSync(`/proc/self/fd/${fd}`);
    return readdirSync("/proc/self/fd").filter((f) => {
      try {
        return readlinkSync(`/proc/self/fd/${f}`) === target;
      } catch {
        return false; // the directory's own fd, gone by now
      }
    });
  };

  test("fds attached to SET_IRQFD and SYNC_SYSMEM are released: the pipe's last writer is gone", async () => {
    const fds = new Int32Array(2);
    expect(libc.pipe2(ptr(fds), O_NONBLOCK | O_CLOEXEC)).toBe(0);
    const [readEnd, writeEnd] = [fds[0]!, fds[1]!];
    await idle(vf);
    const sock = connectUnixSocket(vf.socketPath);
    sendWithFds(sock, encodeMessage({ cmd: "SET_IRQFD" }), [writeEnd, writeEnd]);
    for (let i = 0; i < 50; i++) sendWithFds(sock, encodeMessage({ cmd: "SYNC_SYSMEM" }), [writeEnd, writeEnd, writeEnd]);
    closeFd(writeEnd);
    // The reply proves the device read everything sent before it.
    expect(await request(sock, encodeMessage({ cmd: "PCI_CFGREAD", addr: 0, len: 2 }))).toBe(0x1de5n);
    // EOF (0) and not EAGAIN: no copy of the write end survives anywhere.
    expect(readSync(readEnd, Buffer.alloc(1))).toBe(0);
    // The server shares this process: none of its fds is a received copy of the pipe.
    expect(sameFile(readEnd)).toEqual([String(readEnd)]);
    closeFd(sock);
    closeFd(readEnd);
  });
});

describe("proxy host: hostile input closes that connection only", () => {
  async function closedWithin(c: ProxyClient): Promise<boolean> {
    return Promise.race([c.closed.then(() => true), Bun.sleep(2000).then(() => false)]);
  }

  test("garbage closes the connection with a logged error; the device takes the next one", async () => {
    const other = await bringUp(pf1);
    const c = await connect(vf);
    c.sendRaw(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    expect(await closedWithin(c)).toBe(true);
    expect(log.find("closing the connection: bad message at byte 0", "error").length).toBeGreaterThan(0);
    // Another device's open connection kept working meanwhile.
    expect(await other.barRead(BASE, 4)).toBe(DEVICE_ID_MAGIC);
    other.close();
    const again = await connect(vf);
    expect(await again.configRead(0x00, 2)).toBe(0x1de5);
    again.close();
  });

  test("an oversized message is refused from its header", async () => {
    const c = await connect(vf);
    const h = new Uint8Array(HEADER_BYTES);
    new DataView(h.buffer).setInt32(0, 5, true);
    new DataView(h.buffer).setBigUint64(8, 1n << 40n, true);
    c.sendRaw(h);
    expect(await closedWithin(c)).toBe(true);
    expect(log.find("1099511627776 bytes is over the 192-byte maximum", "error").length).toBeGreaterThan(0);
  });

  test("a message cut short by a hang-up is logged as truncated", async () => {
    const c = await connect(pf1);
    c.sendRaw(encodeMessage({ cmd: "BAR_READ", addr: BASE, size: 4, memory: true }).subarray(0, 20));
    // The 20 bytes sit in the device's receive queue before the hang-up: it reads them, then EOF.
    c.close();
    await expect.poll(() => log.find("in the middle of a message (20 bytes").length, { timeout: 1000, interval: 10 }).toBeGreaterThan(0);
    expect(log.find("connection closed in the middle of a message (20 bytes of it arrived)", "error")).toHaveLength(1);
  });

  test("1,000 hostile connections in a row: every device still answers afterwards", async () => {
    let seed = 12345;
    const next = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed;
    };
    const devices = [pf, vf, pf1];
    let refused = 0;
    const count = () => refused++;
    host.on("protocol-error", count);
    for (let i = 0; i < 1000; i++) {
      const device = devices[i % devices.length]!;
      const c = await connect(device);
      const valid = encodeMessage({ cmd: "BAR_WRITE", addr: BASE + 0x2cn, val: BigInt(next()), size: 4, memory: true });
      let bytes: Uint8Array;
      switch (i % 4) {
        case 0: // random garbage
          bytes = Uint8Array.from({ length: 1 + (next() % 300) }, () => next() & 0xff);
          break;
        case 1: // truncated
          bytes = valid.subarray(0, next() % valid.length);
          break;
        case 2: {
          // oversized: a valid header with a huge size
          bytes = new Uint8Array(valid);
          new DataView(bytes.buffer).setBigUint64(8, BigInt(193 + (next() % 100000)), true);
          break;
        }
        default: {
          // one flipped byte in a valid message
          bytes = new Uint8Array(valid);
          const at = next() % bytes.length;
          bytes[at] = bytes[at]! ^ (1 + (next() % 255));
        }
      }
      c.sendRaw(bytes);
      c.close();
    }
    host.off("protocol-error", count);
    // Each connection was served (not turned away as a second peer) and most were refused
    // for what they sent; a flipped byte can still make a valid message.
    expect(refused).toBeGreaterThan(600);
    for (const device of devices) {
      const c = await connect(device);
      expect(await c.configRead(0x00, 2)).toBe(0x1de5);
      c.close();
    }
  });
});

describe("ProxyHost: who may hold a device", () => {
  test("the socket has its final mode from the moment it is bound, whatever the umask", async () => {
    const own = mkdtempSync(join(tmpdir(), "proxy-mode-"));
    const h = await ProxyHost.start();
    const realListen = Bun.listen;
    const modesAtBind: number[] = [];
    const oldMask = process.umask(0);
    // Look at the file right after bind, before anything else can touch it (a chmod would
    // come later): that is the window in which another user could connect.
    (Bun as unknown as { listen: typeof Bun.listen }).listen = ((options: Parameters<typeof Bun.listen>[0]) => {
      const listener = realListen(options);
      modesAtBind.push(statSync((options as { unix: string }).unix).mode & 0o777);
      return listener;
    }) as typeof Bun.listen;
    try {
      await h.addDevice({ socketPath: join(own, "a.sock"), kind: "pf", config: buildDeviceConfig({ kind: "pf", uuid: "mode-a" }) });
      await h.addDevice({ socketPath: join(own, "b.sock"), kind: "pf", config: buildDeviceConfig({ kind: "pf", uuid: "mode-b" }), socketMode: 0o660 });
    } finally {
      (Bun as unknown as { listen: typeof Bun.listen }).listen = realListen;
      process.umask(oldMask);
      await h.close();
      rmSync(own, { recursive: true, force: true });
    }
    expect(modesAtBind).toEqual([0o600, 0o660]);
  });

  test("a peer that never sends a message is disconnected, and the device takes the next one", async () => {
    const own = mkdtempSync(join(tmpdir(), "proxy-idle-"));
    const h = await ProxyHost.start({ handshakeTimeoutMs: 100 });
    try {
      const d = await h.addDevice({ socketPath: join(own, "d.sock"), kind: "pf", config: buildDeviceConfig({ kind: "pf", uuid: "idle" }) });
      const silent = connectUnixSocket(d.socketPath);
      try {
        await expect.poll(() => d.connected, { timeout: 5000 }).toBe(true);
        await expect.poll(() => d.connected, { timeout: 5000 }).toBe(false);
      } finally {
        closeFd(silent);
      }
      const c = await ProxyClient.connect(d.socketPath);
      try {
        expect(await c.configRead(0x00, 2)).toBe(0x1de5);
        // A peer that has spoken is not timed out, however long it then stays quiet: a silent
        // peer that connects after it has spoken is dropped (its timeout, started later, ran
        // out) while this one stays.
        const d2 = await h.addDevice({ socketPath: join(own, "d2.sock"), kind: "pf", config: buildDeviceConfig({ kind: "pf", uuid: "idle-2" }) });
        const later = connectUnixSocket(d2.socketPath);
        try {
          await expect.poll(() => recvNow(later, 1), { timeout: 5000 }).toBeNull();
        } finally {
          closeFd(later);
        }
        expect(d.connected).toBe(true);
        expect(await c.configRead(0x02, 2)).toBe(0x0001);
      } finally {
        c.close();
      }
    } finally {
      await h.close();
      rmSync(own, { recursive: true, force: true });
    }
  });
});
