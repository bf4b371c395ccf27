#!/usr/bin/env bun
// `bun src/bin/serve-many.ts --count N --dir DIR`: one process serving N PFs over vfio-user
// (DIR/dev<i>.sock), for the benchmark and the idle-CPU test. Prints one JSON line once every
// socket listens: { "ready": true, "count": N, "readyMs": <since process start>, "rssBytes" }.
// Serves until SIGINT/SIGTERM, then removes the sockets.
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildDeviceConfig } from "../device/device-config.ts";
import { VfioUserHost } from "../transports/vfio-user/host.ts";

process.env.MOCK_ACCEL_VFIO_USER_WORKER ??= new URL("./vfio-user-worker.ts", import.meta.url).href;

const { values } = parseArgs({ args: Bun.argv.slice(2), options: { count: { type: "string" }, dir: { type: "string" } } });
const count = Number(values.count ?? "1");
if (!values.dir || !Number.isInteger(count) || count < 1) {
  console.error("usage: serve-many.ts --count N --dir DIR");
  process.exit(2);
}
const host = await VfioUserHost.start();
await Promise.all(
  Array.from({ length: count }, (_, i) =>
    host.addDevice({ socketPath: join(values.dir!, `dev${i}.sock`), kind: "pf", config: buildDeviceConfig({ kind: "pf", uuid: `serve-many-${i}` }) }),
  ),
);
const readyMs = performance.now();
console.log(JSON.stringify({ ready: true, count, readyMs, rssBytes: process.memoryUsage.rss() }));
const signal = await new Promise<string>((resolve) => {
  process.once("SIGINT", () => resolve("SIGINT"));
  process.once("SIGTERM", () => resolve("SIGTERM"));
});
await host.close();
console.error(`serve-many: ${signal}, sockets removed`);
process.exit(0);
