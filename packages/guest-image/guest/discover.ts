// Runs inside the guest, compiled with `bun build --compile`: the typed sysfs client discovers
// the mock-accel devices and prints them as one JSON line, so the host can compare them with
// what the server was told. Modes:
//   discover [ROOT]              every device: identity, PCI facts, PF/VF relation, attributes
//   time-status NAME COUNT       COUNT reads of NAME's status through the client; prints µs per read
//   dra [ROOT]                   every device as `discover` prints it, plus the ResourceSlice
//                                attributes and capacity a DRA driver would publish (the demo)
import { MockAccelSysfs, toDeviceAttributes } from "@mock-accel/sysfs-client";

const json = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x));

async function discover(root: string, withDra = false): Promise<void> {
  const client = new MockAccelSysfs({ root });
  const devices = await client.discover();
  const out = [];
  for (const d of devices) out.push({ ...d.toJSON(), attributes: await d.readAll(), ...(withDra ? { dra: await toDeviceAttributes(d) } : {}) });
  console.log(json(out));
}

async function timeStatus(name: string, count: number): Promise<void> {
  const device = await new MockAccelSysfs().get(name);
  await device.read("status");
  const started = performance.now();
  for (let i = 0; i < count; i++) await device.read("status");
  const elapsedUs = (performance.now() - started) * 1000;
  console.log(json({ reads: count, usPerRead: elapsedUs / count }));
}

const [mode = "discover", ...rest] = process.argv.slice(2);
if (mode === "discover") await discover(rest[0] ?? "/sys");
else if (mode === "dra") await discover(rest[0] ?? "/sys", true);
else if (mode === "time-status") await timeStatus(rest[0] ?? "mock0", Number(rest[1] ?? 1000));
else {
  console.error(`usage: discover [ROOT] | dra [ROOT] | time-status NAME COUNT (got ${mode})`);
  process.exit(2);
}
