#!/usr/bin/env bun
// Child of soak.bench.ts: reads one device's DEVICE_ID in a loop, in its own process so the
// load generator's event loop does not colour the latencies. On SIGTERM prints one JSON line:
// { reads, seconds, worstMs, errors }.
import { PCI_REGION, REG, VfioUserClient } from "@mock-accel/server";

const socketPath = process.argv[2];
if (!socketPath) {
  console.error("usage: soak-reader.ts SOCKET");
  process.exit(2);
}
let stop = false;
process.once("SIGTERM", () => (stop = true));
const client = await VfioUserClient.connect(socketPath, { timeoutMs: 30_000 });
console.log(JSON.stringify({ ready: true }));
let reads = 0;
let worstMs = 0;
let errors = 0;
const started = performance.now();
while (!stop) {
  const t0 = performance.now();
  try {
    await client.regionRead(PCI_REGION.BAR0, REG.DEVICE_ID.offsetBytes, 4);
    reads++;
  } catch {
    errors++;
  }
  worstMs = Math.max(worstMs, performance.now() - t0);
}
client.close();
console.log(JSON.stringify({ reads, seconds: (performance.now() - started) / 1000, worstMs, errors }));
process.exit(0);
