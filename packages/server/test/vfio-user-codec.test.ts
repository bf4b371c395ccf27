// The client's message codecs without a server: what each encoder lays down and each decoder
// reads, in the layouts vfio-user-wire.test.ts checks against the C headers.
import { describe, expect, it } from "vitest";
import {
  decodeDeviceInfo,
  decodeHeader,
  decodeRegionInfo,
  decodeVersionReply,
  encodeCommand,
  encodeRegionInfoRequest,
  encodeVersionMessage,
  messageSize,
  regionReadData,
  stampMessageId,
  VfioUserError,
  writeRegionAccess,
} from "../src/client/vfio-user-codec.ts";
import {
  DEVICE_FLAGS,
  DEVICE_INFO,
  DEVICE_INFO_BYTES,
  FLAG_TYPE_COMMAND,
  HEADER_BYTES,
  PCI_REGION,
  REGION_ACCESS,
  REGION_ACCESS_BYTES,
  REGION_FLAGS,
  REGION_INFO,
  REGION_INFO_BYTES,
  VfioUserCommand,
} from "../src/client/vfio-user-protocol.ts";

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

describe("vfio-user codecs", () => {
  it("a command's header: id, command, whole size, command type, no error", () => {
    const msg = encodeCommand(VfioUserCommand.DEVICE_RESET, new Uint8Array([1, 2, 3]), 0x1234);
    expect(decodeHeader(msg)).toEqual({ msgId: 0x1234, command: VfioUserCommand.DEVICE_RESET, size: HEADER_BYTES + 3, flags: FLAG_TYPE_COMMAND, errorNo: 0 });
    stampMessageId(msg, 0xbeef);
    expect(decodeHeader(msg).msgId).toBe(0xbeef);
    expect(messageSize(msg)).toBe(msg.length);
    const version = encodeVersionMessage({ msgId: 9 });
    expect(decodeHeader(version)).toMatchObject({ msgId: 9, command: VfioUserCommand.VERSION, size: version.length });
  });

  it("device info: the PCI and RESET flags each from their own bit", () => {
    const reply = new Uint8Array(DEVICE_INFO_BYTES);
    dv(reply).setUint32(DEVICE_INFO.FLAGS, DEVICE_FLAGS.PCI, true);
    dv(reply).setUint32(DEVICE_INFO.NUM_REGIONS, 10, true);
    dv(reply).setUint32(DEVICE_INFO.NUM_IRQS, 5, true);
    expect(decodeDeviceInfo(reply)).toEqual({ flags: DEVICE_FLAGS.PCI, numRegions: 10, numIrqs: 5, pci: true, reset: false });
    dv(reply).setUint32(DEVICE_INFO.FLAGS, DEVICE_FLAGS.RESET, true);
    expect(decodeDeviceInfo(reply)).toMatchObject({ pci: false, reset: true });
    expect(() => decodeDeviceInfo(reply.subarray(1))).toThrow(/DEVICE_GET_INFO reply too short \(15 bytes\)/);
  });

  it("region info: request carries argsz and index; reply's flags, 64-bit size and offset", () => {
    const request = encodeRegionInfoRequest(PCI_REGION.CONFIG);
    expect(dv(request).getUint32(REGION_INFO.ARGSZ, true)).toBe(REGION_INFO_BYTES);
    expect(dv(request).getUint32(REGION_INFO.INDEX, true)).toBe(PCI_REGION.CONFIG);
    const reply = new Uint8Array(REGION_INFO_BYTES);
    const v = dv(reply);
    v.setUint32(REGION_INFO.ARGSZ, 48, true);
    v.setUint32(REGION_INFO.FLAGS, REGION_FLAGS.READ | REGION_FLAGS.MMAP, true);
    v.setUint32(REGION_INFO.INDEX, 2, true);
    v.setUint32(REGION_INFO.CAP_OFFSET, 32, true);
    v.setBigUint64(REGION_INFO.SIZE, 1n << 33n, true);
    v.setBigUint64(REGION_INFO.OFFSET, 0x1000n, true);
    expect(decodeRegionInfo(reply)).toEqual({
      index: 2, flags: REGION_FLAGS.READ | REGION_FLAGS.MMAP, argsz: 48, capOffset: 32, sizeBytes: 2 ** 33, offset: 0x1000n,
      readable: true, writable: false, mmappable: true,
    });
  });

  it("region access: a 64-bit offset without a bigint, and refuses a negative one", () => {
    const b = new Uint8Array(REGION_ACCESS_BYTES);
    writeRegionAccess(dv(b), 0, PCI_REGION.BAR0, 2 ** 40 + 8, 4);
    expect(dv(b).getBigUint64(REGION_ACCESS.OFFSET, true)).toBe(2n ** 40n + 8n);
    expect(dv(b).getUint32(REGION_ACCESS.REGION, true)).toBe(PCI_REGION.BAR0);
    expect(dv(b).getUint32(REGION_ACCESS.COUNT, true)).toBe(4);
    expect(() => writeRegionAccess(dv(b), 0, 0, -1, 4)).toThrow(RangeError);
    expect(() => regionReadData(new Uint8Array(REGION_ACCESS_BYTES + 2), PCI_REGION.CONFIG, 0x40, 4)).toThrow(/REGION_READ of 4 bytes at config\+0x40: reply carries 2 bytes/);
  });

  it("version reply: version and capabilities; bad JSON named", () => {
    const text = new TextEncoder().encode(`${JSON.stringify({ capabilities: { max_data_xfer_size: 4096 } })}\0`);
    const reply = new Uint8Array(4 + text.length);
    dv(reply).setUint16(0, 0, true);
    dv(reply).setUint16(2, 1, true);
    reply.set(text, 4);
    expect(decodeVersionReply(reply)).toEqual({ major: 0, minor: 1, capabilities: { max_data_xfer_size: 4096 } });
    expect(decodeVersionReply(reply.subarray(0, 4))).toEqual({ major: 0, minor: 1, capabilities: {} });
    reply[5] = 0x7b;
    expect(() => decodeVersionReply(reply)).toThrow(/invalid JSON/);
  });

  it("an error reply names the command and the errno", () => {
    expect(new VfioUserError(VfioUserCommand.REGION_READ, 22).message).toBe("vfio-user REGION_READ failed: EINVAL (22)");
  });
});
