// Decoding a BAR0 image the way `probe` shows it, from a device model in process.
import { expect, test } from "vitest";
import { buildDeviceConfig, uuidFromLabelOrCanonical } from "../src/device/device-config.ts";
import { MockDevice } from "../src/device/mock-device.ts";
import { decodeBar0 } from "../src/device/register-decode.ts";
import { BAR0_SIZE_BYTES, REG } from "../src/generated/registers.ts";
import { DEVICE_ID_MAGIC } from "./device-id.ts";

function image(device: MockDevice): Uint8Array {
  const out = new Uint8Array(BAR0_SIZE_BYTES);
  device.bar0Read(0, out);
  return out;
}

test("every register decodes: magic, UUID, memory, fields, firmware, enum, passphrase text", () => {
  const device = new MockDevice({
    kind: "pf",
    config: buildDeviceConfig({ kind: "pf", uuid: "decode", memorySize: "512M", capabilities: 0b1001, fwVersion: 0x00030201, totalVfs: 2 }),
  });
  device.bar0Write(REG.PASSPHRASE_LENGTH.offsetBytes, new Uint8Array([5, 0, 0, 0]));
  device.bar0Write(REG.PASSPHRASE_CMD.offsetBytes, new Uint8Array([1, 0, 0, 0]));
  const byName = Object.fromEntries(decodeBar0(image(device)).map((r) => [r.name, r]));
  expect(byName.DEVICE_ID?.text).toBe(`0x${DEVICE_ID_MAGIC.toString(16)} "MOCK"`);
  expect(byName.UUID?.text).toBe(uuidFromLabelOrCanonical("decode").canonical);
  expect(byName.MEMORY_SIZE?.text).toBe("536870912 bytes (0.500 GiB)");
  expect(byName.CAPABILITIES?.text).toBe("0x00000009 [COMPUTE P2P_DMA]");
  expect(byName.CAPABILITIES?.fields).toEqual({ COMPUTE: 1, ENCRYPTION: 0, COMPRESSION: 0, P2P_DMA: 1 });
  expect(byName.FW_VERSION?.text).toBe("3.2.1");
  expect(byName.SRIOV_TOTAL_VFS?.text).toBe("2");
  expect(byName.PASSPHRASE_STATUS).toMatchObject({ text: "ready (2)", enumName: "READY" });
  expect(byName.PASSPHRASE_CMD?.text).toBe("write-only (reads 0)");
  const words = (JSON.parse(byName.PASSPHRASE_BUFFER!.text) as string).split(" ");
  expect(words).toHaveLength(5);
});
