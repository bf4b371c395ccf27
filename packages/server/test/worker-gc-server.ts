// Test helper for vfio-user-worker-gc.test.ts: one device in a VfioUserHost, run under
// BUN_JSC_logGC=1 so JavaScriptCore prints each collection of each thread's heap to stderr.
// It forces one collection of the main thread's heap between two marker lines, so the test
// can tell that heap's lines from the worker's (each line names its heap's address).
import { buildDeviceConfig } from "../src/device/device-config.ts";
import { VfioUserHost } from "../src/transports/vfio-user/host.ts";

const socketPath = process.argv[2]!;
const host = await VfioUserHost.start({ logLevel: "warn" });
await host.addDevice({ socketPath, kind: "pf", config: buildDeviceConfig({ kind: "pf", uuid: "worker-gc" }) });
console.error("MAIN-HEAP-BEGIN");
Bun.gc(true);
console.error("MAIN-HEAP-END");
console.log("ready");
process.on("SIGTERM", () => {
  console.error("SOAK-END");
  void host.close().then(() => process.exit(0));
});
setInterval(() => {}, 1000);
