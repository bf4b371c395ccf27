// Proxy transport benchmark (`bun run bench --filter proxy`): 4-byte BAR reads per second
// through the x-pci-proxy-dev protocol. The devices run in this process (ProxyHost on Bun's
// event loop); each client is its own process that inherits a connected socket as fd 3 and
// does what QEMU's vCPU thread does: a blocking write of BAR_READ, a blocking read of RET.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BenchRow } from "../../../bench/run.ts";
import { buildDeviceConfig } from "../src/device/device-config.ts";
import { ProxyHost } from "../src/transports/proxy/proxy-host.ts";
import { REG } from "../src/generated/registers.ts";
import { closeFd, connectUnixSocket } from "../src/transports/proxy/unix-socket.ts";

const SUITE = "proxy";
const SECONDS = 2;

/** The QEMU stand-in: program BAR0 like firmware, then time blocking BAR reads for SECONDS. */
const CLIENT = `
import { dlopen, FFIType, ptr } from "bun:ffi";
const { write, read } = dlopen("libc.so.6", {
  write: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
  read: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
}).symbols;
const BASE = 0xfe000000n;
const reply = new Uint8Array(24);
function call(cmd, payload) {
  const msg = new Uint8Array(16 + payload.length);
  const v = new DataView(msg.buffer);
  v.setInt32(0, cmd, true);
  v.setBigUint64(8, BigInt(payload.length), true);
  msg.set(payload, 16);
  return msg;
}
function cfgWrite(addr, val, len) {
  const p = new Uint8Array(12); const v = new DataView(p.buffer);
  v.setUint32(0, addr, true); v.setUint32(4, val, true); v.setInt32(8, len, true);
  return call(2, p);
}
function barRead(addr, size) {
  const p = new Uint8Array(24); const v = new DataView(p.buffer);
  v.setBigUint64(0, addr, true); v.setUint32(16, size, true); v.setUint8(20, 1);
  return call(5, p);
}
function roundTrip(msg) {
  if (Number(write(3, ptr(msg), msg.length)) !== msg.length) throw new Error("short write");
  let got = 0;
  while (got < 24) {
    const n = Number(read(3, ptr(reply, got), 24 - got));
    if (n <= 0) throw new Error("device closed the connection");
    got += n;
  }
}
roundTrip(cfgWrite(0x10, Number(BASE), 4));
roundTrip(cfgWrite(0x04, 2, 2));
const msg = barRead(BASE, 4); // DEVICE_ID
for (let i = 0; i < 2000; i++) roundTrip(msg);
const v = new DataView(reply.buffer);
if (v.getBigUint64(16, true) !== ${REG.DEVICE_ID.resetValue}n) throw new Error("DEVICE_ID did not read MOCK");
let n = 0;
const start = performance.now();
const end = start + ${SECONDS * 1000};
let now = start;
while (now < end) { for (let i = 0; i < 200; i++) roundTrip(msg); n += 200; now = performance.now(); }
console.log(JSON.stringify({ reads: n, seconds: (now - start) / 1000 }));
`;

async function runClients(host: ProxyHost, socketPaths: string[], script: string): Promise<number[]> {
  // A device takes one peer at a time: wait until the previous run's clients are gone.
  for (let i = 0; i < 500 && host.devices.some((d) => socketPaths.includes(d.socketPath) && d.connected); i++) await Bun.sleep(10);
  const runs = socketPaths.map((path) => {
    const fd = connectUnixSocket(path);
    const child = spawn("bun", [script], { stdio: ["ignore", "pipe", "inherit", fd] });
    closeFd(fd);
    return new Promise<number>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
      child.on("exit", (code) => {
        if (code !== 0) return reject(new Error(`proxy bench client exited ${code}`));
        const r = JSON.parse(out.trim()) as { reads: number; seconds: number };
        resolve(r.reads / r.seconds);
      });
    });
  });
  return Promise.all(runs);
}

export default async function bench(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), "proxy-bench-"));
  const script = join(dir, "client.mjs");
  writeFileSync(script, CLIENT);
  const host = await ProxyHost.start();
  try {
    const paths: string[] = [];
    for (let i = 0; i < 2; i++) {
      const socketPath = join(dir, `d${i}.sock`);
      await host.addDevice({ socketPath, kind: "pf", config: buildDeviceConfig({ kind: "pf", uuid: `proxy-bench-${i}` }) });
      paths.push(socketPath);
    }
    const [one] = await runClients(host, paths.slice(0, 1), script);
    const two = await runClients(host, paths, script);
    return [
      { suite: SUITE, metric: "BAR0 4-byte reads/s, one device (client process like QEMU's vCPU)", value: one!, unit: "reads/s", note: "UNIX-socket round trip per read" },
      { suite: SUITE, metric: "BAR0 4-byte reads/s, two devices busy at once (sum)", value: two.reduce((a, b) => a + b, 0), unit: "reads/s", note: "both served by one event loop" },
    ];
  } finally {
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
