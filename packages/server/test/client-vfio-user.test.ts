// The TypeScript vfio-user client against the real server (VfioUserHost over libvfio-user):
// what QEMU would see, register by register, over a UNIX socket.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { assertAvailable } from "@mock-accel/testkit";
import { VfioUserClient, VfioUserError } from "../src/client/vfio-user-client.ts";
import { PCI_REGION } from "../src/client/vfio-user-protocol.ts";
import { decodeConfigSpace } from "../src/device/config-decode.ts";
import { buildDeviceConfig, uuidFromLabelOrCanonical } from "../src/device/device-config.ts";
import { MockDevice } from "../src/device/mock-device.ts";
import { EFF_WORDS } from "../src/device/eff-words.ts";
import { REG, REGISTERS } from "../src/generated/registers.ts";
import { VfioUserHost } from "../src/transports/vfio-user/host.ts";
import { libvfioUser } from "./requirements.ts";
import { DEVICE_ID_MAGIC_U32 } from "./device-id.ts";

const PF_UUID = "3e1f2a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b";
const pfConfig = () => buildDeviceConfig({ kind: "pf", uuid: PF_UUID, totalVfs: 3 });
const vfConfig = () => buildDeviceConfig({ kind: "vf", uuid: "vf2-label", vfIndex: 2 });

let dir: string;
let host: VfioUserHost;
let pfSocket: string;
let vfSocket: string;

beforeAll(async () => {
  // File-level hook: on a laptop without the library the failure tests below still run.
  if (libvfioUser.skip) return;
  assertAvailable(libvfioUser);
  dir = mkdtempSync(join(tmpdir(), "mock-accel-client-"));
  pfSocket = join(dir, "pf.sock");
  vfSocket = join(dir, "vf.sock");
  host = await VfioUserHost.start();
  await host.addDevice({ socketPath: pfSocket, kind: "pf", config: pfConfig(), multifunction: true });
  await host.addDevice({ socketPath: vfSocket, kind: "vf", config: vfConfig() });
});

afterAll(async () => {
  await host?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function withClient<T>(socket: string, fn: (c: VfioUserClient) => Promise<T>): Promise<T> {
  const c = await VfioUserClient.connect(socket, { timeoutMs: 5000 });
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

const u32 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0, true);

describe.skipIf(libvfioUser.skip)("vfio-user client against the real server", () => {
  test("version negotiation: protocol 0.x with the server's JSON capabilities", async () => {
    await withClient(pfSocket, async (c) => {
      expect(c.version?.major).toBe(0);
      expect(c.version?.minor).toBeGreaterThanOrEqual(1);
      expect(c.version?.capabilities).toMatchObject({ max_data_xfer_size: expect.any(Number), max_msg_fds: expect.any(Number) });
    });
  });

  test("device info: a resettable PCI device; BAR0 4 KiB and config space 4 KiB, both read/write", async () => {
    await withClient(pfSocket, async (c) => {
      const info = await c.deviceInfo();
      expect(info).toMatchObject({ pci: true, reset: true });
      expect(info.numRegions).toBeGreaterThan(PCI_REGION.CONFIG);
      expect(await c.regionInfo(PCI_REGION.BAR0)).toMatchObject({ index: 0, sizeBytes: 4096, readable: true, writable: true });
      expect(await c.regionInfo(PCI_REGION.CONFIG)).toMatchObject({ index: 7, sizeBytes: 4096, readable: true, writable: true });
      expect((await c.regionInfo(PCI_REGION.BAR1)).sizeBytes).toBe(0);
    });
  });

  test("config space IDs: PF 1de5:0001, VF 1de5:0002, class 0x120000", async () => {
    await withClient(pfSocket, async (c) => {
      expect(await c.configRead(0x00, 2)).toBe(0x1de5);
      expect(await c.configRead(0x02, 2)).toBe(0x0001);
      expect((await c.configRead(0x08, 4)) >>> 8).toBe(0x120000);
    });
    await withClient(vfSocket, async (c) => {
      expect(await c.configRead(0x00, 4)).toBe(0x00021de5);
    });
  });

  test("SR-IOV fields: the PF's capability at 0x100 says Total = Initial = 3, offset 1, stride 1, VF 0002; the VF has none", async () => {
    const pf = await withClient(pfSocket, async (c) => decodeConfigSpace(await c.regionRead(PCI_REGION.CONFIG, 0, 4096)));
    expect(pf.multifunction).toBe(true);
    expect(pf.sriov).toMatchObject({ offset: 0x100, totalVfs: 3, initialVfs: 3, numVfs: 0, firstVfOffset: 1, vfStride: 1, vfDeviceId: 2 });
    const vf = await withClient(vfSocket, async (c) => decodeConfigSpace(await c.regionRead(PCI_REGION.CONFIG, 0, 4096)));
    expect(vf.sriov).toBeNull();
  });

  test("every register at every legal width and offset reads what the device model holds", async () => {
    const reference = new MockDevice({ kind: "pf", config: pfConfig() });
    await withClient(pfSocket, async (c) => {
      await c.reset();
      for (const def of REGISTERS) {
        for (const width of [1, 2, 4, 8]) {
          for (let at = 0; at + width <= def.sizeBytes; at += width) {
            const want = new Uint8Array(width);
            reference.bar0Read(def.offsetBytes + at, want);
            const got = await c.regionRead(PCI_REGION.BAR0, def.offsetBytes + at, width);
            expect(Array.from(got), `${def.name}+${at} width ${width}`).toEqual(Array.from(want));
          }
        }
      }
    });
  });

  test("16 GiB through two 32-bit reads, and the UUID's raw bytes", async () => {
    await withClient(pfSocket, async (c) => {
      expect(await c.bar0Read32(REG.MEMORY_SIZE.offsetBytes)).toBe(0);
      expect(await c.bar0Read32(REG.MEMORY_SIZE.offsetBytes + 4)).toBe(4);
      expect(Array.from(await c.regionRead(0, REG.UUID.offsetBytes, 16))).toEqual(Array.from(uuidFromLabelOrCanonical(PF_UUID).bytes));
    });
  });

  test("writes read back; read-only registers and out-of-range values are left alone", async () => {
    await withClient(pfSocket, async (c) => {
      await c.bar0Write32(REG.STATUS.offsetBytes, 0x12345678);
      expect(await c.bar0Read32(REG.STATUS.offsetBytes)).toBe(0x12345678);
      await c.regionWrite(0, REG.STATUS.offsetBytes + 2, new Uint8Array([0xcd, 0xab]));
      expect(await c.bar0Read32(REG.STATUS.offsetBytes)).toBe(0xabcd5678);
      await c.bar0Write32(REG.DEVICE_ID.offsetBytes, 0);
      expect(await c.bar0Read32(REG.DEVICE_ID.offsetBytes)).toBe(DEVICE_ID_MAGIC_U32);
      await c.bar0Write32(REG.SRIOV_NUM_VFS.offsetBytes, 2);
      await c.bar0Write32(REG.SRIOV_NUM_VFS.offsetBytes, 4);
      expect(await c.bar0Read32(REG.SRIOV_NUM_VFS.offsetBytes)).toBe(2);
    });
  });

  test("passphrase end to end: 9 EFF words after a GENERATE", async () => {
    const eff = new Set(EFF_WORDS);
    await withClient(pfSocket, async (c) => {
      await c.bar0Write32(REG.PASSPHRASE_LENGTH.offsetBytes, 9);
      await c.bar0Write32(REG.PASSPHRASE_CMD.offsetBytes, 1);
      expect(await c.bar0Read32(REG.PASSPHRASE_STATUS.offsetBytes)).toBe(2);
      expect(await c.bar0Read32(REG.PASSPHRASE_COUNT.offsetBytes)).toBe(9);
      const buf = await c.regionRead(0, REG.PASSPHRASE_BUFFER.offsetBytes, REG.PASSPHRASE_BUFFER.sizeBytes);
      const text = new TextDecoder().decode(buf.subarray(0, buf.indexOf(0)));
      const words = text.split(" ");
      expect(words).toHaveLength(9);
      for (const w of words) expect(eff.has(w), w).toBe(true);
    });
  });

  test("reset restores reset values", async () => {
    await withClient(pfSocket, async (c) => {
      await c.bar0Write32(REG.STATUS.offsetBytes, 1);
      await c.bar0Write32(REG.PASSPHRASE_LENGTH.offsetBytes, 5);
      await c.reset();
      expect(await c.bar0Read32(REG.STATUS.offsetBytes)).toBe(0);
      expect(await c.bar0Read32(REG.PASSPHRASE_LENGTH.offsetBytes)).toBe(6);
    });
  });

  test("requests that do not await each other queue up and each gets its own reply", async () => {
    await withClient(pfSocket, async (c) => {
      const [id, mem, cfg, total] = await Promise.all([
        c.bar0Read32(REG.DEVICE_ID.offsetBytes),
        c.regionRead(PCI_REGION.BAR0, REG.MEMORY_SIZE.offsetBytes, 8),
        c.configRead(0x02, 2),
        c.bar0Read32(REG.SRIOV_TOTAL_VFS.offsetBytes),
      ]);
      expect([id, u32(mem.subarray(4)), cfg, total]).toEqual([DEVICE_ID_MAGIC_U32, 4, 0x0001, 3]);
    });
  });

  test("register state outlives a client: write, disconnect, reconnect, read", async () => {
    await withClient(pfSocket, (c) => c.bar0Write32(REG.STATUS.offsetBytes, 0x5a5a));
    expect(await withClient(pfSocket, (c) => c.bar0Read32(REG.STATUS.offsetBytes))).toBe(0x5a5a);
  });

  test("an out-of-range read fails with EINVAL from the server and the connection stays usable", async () => {
    await withClient(pfSocket, async (c) => {
      const err = await c.regionRead(PCI_REGION.BAR0, 4090, 16).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VfioUserError);
      expect((err as VfioUserError).message).toMatch(/REGION_READ failed: EINVAL/);
      expect(await c.bar0Read32(0)).toBe(DEVICE_ID_MAGIC_U32);
    });
  });
});

describe("vfio-user client failures", () => {
  test("connecting to a missing socket names the socket", async () => {
    const missing = join(tmpdir(), `mock-accel-missing-${process.pid}.sock`);
    await expect(VfioUserClient.connect(missing, { timeoutMs: 1000 })).rejects.toThrow(`cannot connect to vfio-user socket ${missing}: ENOENT`);
  });

  test("a server that never answers times out with the command's name", async () => {
    const d = mkdtempSync(join(tmpdir(), "mock-accel-silent-"));
    const path = join(d, "silent.sock");
    const listener = Bun.listen({ unix: path, socket: { data() {} } });
    try {
      await expect(VfioUserClient.connect(path, { timeoutMs: 300 })).rejects.toThrow(/VERSION to .*silent\.sock: no reply within 300 ms/);
    } finally {
      listener.stop(true);
      rmSync(d, { recursive: true, force: true });
    }
  });

  test("a reply with another message id fails the request and names what arrived", async () => {
    const d = mkdtempSync(join(tmpdir(), "mock-accel-garbled-"));
    const path = join(d, "garbled.sock");
    const listener = Bun.listen({
      unix: path,
      socket: {
        data(s, chunk) {
          const reply = new Uint8Array(16);
          const v = new DataView(reply.buffer);
          v.setUint16(0, (chunk[0]! | (chunk[1]! << 8)) + 7, true); // wrong msg_id
          v.setUint16(2, 1, true);
          v.setUint32(4, 16, true);
          v.setUint32(8, 1, true); // reply
          s.write(reply);
        },
      },
    });
    try {
      await expect(VfioUserClient.connect(path, { timeoutMs: 2000 })).rejects.toThrow(/garbled\.sock sent an unexpected message \(cmd 1, id 8/);
    } finally {
      listener.stop(true);
      rmSync(d, { recursive: true, force: true });
    }
  });

  test("a server that hangs up fails the request in flight", async () => {
    const d = mkdtempSync(join(tmpdir(), "mock-accel-hangup-"));
    const path = join(d, "hangup.sock");
    const listener = Bun.listen({ unix: path, socket: { data(s) { s.end(); } } });
    try {
      await expect(VfioUserClient.connect(path, { timeoutMs: 2000 })).rejects.toThrow(/closed the connection/);
    } finally {
      listener.stop(true);
      rmSync(d, { recursive: true, force: true });
    }
  });
});
