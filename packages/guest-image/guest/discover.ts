// Runs inside the guest, compiled with `bun build --compile`: the typed sysfs client discovers
// the mock-accel devices and prints them as one JSON line, so the host can compare them with
// what the server was told. Modes:
//   discover [ROOT]              every device: identity, PCI facts, PF/VF relation, attributes
//   time-status NAME COUNT       COUNT reads of NAME's status each way, interleaved in blocks so
//                                that load on the machine falls on all alike; prints µs per read:
//                                usPerRead through the client (the file kept open), openEach
//                                through a client opening it for every read (maxOpenFiles 0),
//                                bunPread a bare readSync at offset 0 on an open fd (Bun's own cost),
//                                ffiPread libc's pread called through bun:ffi (the least JS can pay)
//   dra [ROOT]                   every device as `discover` prints it, plus the ResourceSlice
//                                attributes and capacity a DRA driver would publish (the demo)
import { dlopen, FFIType, ptr } from "bun:ffi";
import { closeSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
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
  const kept = await new MockAccelSysfs().get(name);
  const opening = await new MockAccelSysfs({ maxOpenFiles: 0 }).get(name);
  const fd = openSync(join(kept.path, "status"), "r");
  const page = Buffer.alloc(4097);
  const libc = dlopen("libc.so.6", { pread: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i64], returns: FFIType.i64 } });
  const pagePtr = ptr(page);
  const ways: Record<"usPerRead" | "openEach" | "bunPread" | "ffiPread", () => Promise<unknown>> = {
    usPerRead: () => kept.read("status"),
    openEach: () => opening.read("status"),
    bunPread: async () => readSync(fd, page, 0, page.length, 0),
    ffiPread: async () => libc.symbols.pread(fd, pagePtr, page.length, 0),
  };
  const totalMs = { usPerRead: 0, openEach: 0, bunPread: 0, ffiPread: 0 };
  for (const way of Object.values(ways)) await way(); // the first read of each opens its file
  const BLOCK = 50;
  for (let done = 0; done < count; done += BLOCK) {
    for (const [key, way] of Object.entries(ways) as [keyof typeof ways, () => Promise<unknown>][]) {
      const started = performance.now();
      for (let i = 0; i < BLOCK; i++) await way();
      totalMs[key] += performance.now() - started;
    }
  }
  closeSync(fd);
  libc.close();
  const reads = Math.ceil(count / BLOCK) * BLOCK;
  const us = (ms: number) => (ms * 1000) / reads;
  console.log(json({ reads, usPerRead: us(totalMs.usPerRead), openEach: us(totalMs.openEach), bunPread: us(totalMs.bunPread), ffiPread: us(totalMs.ffiPread) }));
}

const [mode = "discover", ...rest] = process.argv.slice(2);
if (mode === "discover") await discover(rest[0] ?? "/sys");
else if (mode === "dra") await discover(rest[0] ?? "/sys", true);
else if (mode === "time-status") await timeStatus(rest[0] ?? "mock0", Number(rest[1] ?? 1000));
else {
  console.error(`usage: discover [ROOT] | dra [ROOT] | time-status NAME COUNT (got ${mode})`);
  process.exit(2);
}
