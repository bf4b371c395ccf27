// In-process cost of the device model, without any socket: BAR0 4-byte reads (the hot path of
// every transport) and passphrase generations.
import type { BenchRow } from "../../../bench/run.ts";
import { buildDeviceConfig } from "../src/device/device-config.ts";
import { MockDevice } from "../src/device/mock-device.ts";
import { REG } from "../src/generated/registers.ts";

const SUITE = "register-engine";

/** Runs `step` in batches until `ms` elapse; returns operations per second. */
function rate(ms: number, batch: number, step: () => void): number {
  // Warm up so the JIT has compiled the path before timing starts.
  for (let i = 0; i < batch; i++) step();
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < batch; i++) step();
    ops += batch;
    now = performance.now();
  }
  return ops / ((now - start) / 1000);
}

export default async function bench(): Promise<BenchRow[]> {
  const device = new MockDevice({ kind: "pf", config: buildDeviceConfig({ kind: "pf", uuid: "bench", totalVfs: 4 }) });
  const out = new Uint8Array(4);
  const offsets = [REG.DEVICE_ID, REG.MEMORY_SIZE, REG.STATUS, REG.PASSPHRASE_STATUS].map((r) => r.offsetBytes);
  let k = 0;
  // Summing what was read keeps the JIT from dropping the reads as dead code.
  let checksum = 0;
  const reads = rate(1000, 10_000, () => {
    device.bar0Read(offsets[k++ & 3]!, out);
    checksum += out[0]!;
  });
  if (checksum === 0) throw new Error("BAR0 reads returned only zeros");
  const status = new Uint8Array([1, 0, 0, 0]);
  const writes = rate(500, 10_000, () => {
    device.bar0Write(REG.STATUS.offsetBytes, status);
  });
  const generate = new Uint8Array([1, 0, 0, 0]);
  const length12 = new Uint8Array([12, 0, 0, 0]);
  device.bar0Write(REG.PASSPHRASE_LENGTH.offsetBytes, length12);
  const passphrases = rate(1000, 1000, () => {
    device.bar0Write(REG.PASSPHRASE_CMD.offsetBytes, generate);
  });
  return [
    { suite: SUITE, metric: "BAR0 4-byte reads (in process)", value: reads, unit: "reads/s", note: "MockDevice.bar0Read, no transport" },
    { suite: SUITE, metric: "BAR0 4-byte STATUS writes (in process)", value: writes, unit: "writes/s", note: "notify behaviour + event" },
    { suite: SUITE, metric: "passphrase generations (12 words)", value: passphrases, unit: "ops/s", note: "EFF list, crypto.getRandomValues + rejection" },
  ];
}
