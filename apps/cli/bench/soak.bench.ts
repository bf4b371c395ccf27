// Soak of one `up` of the 12-device cluster (issue 17): clean reconnects and hostile clients
// spread over eleven devices while the twelfth is read continuously from another process.
// Records that the server survived, its RSS before and after, the read device's worst latency
// and read rate during the soak, and every device's read rate afterwards.
// Counts: MOCK_ACCEL_SOAK_RECONNECTS (default 100,000), MOCK_ACCEL_SOAK_HOSTILE (50,000).
// MOCK_ACCEL_SOAK_SERVER_STDERR=FILE keeps the server's whole stderr there (its warnings, and
// with BUN_JSC_logGC=1 in the environment every collection of each of its threads' heaps).
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BenchRow } from "../../../bench/run.ts";
import { encodeVersionMessage, PCI_REGION, REG, VfioUserClient, VfioUserCommand } from "@mock-accel/server";

const root = join(import.meta.dirname, "../../..");
const SUITE = "cli up soak";
/** Connections in flight at once, per kind. */
const CONCURRENCY = 4;
/** Every this many hostile clients, one connects and stays silent until the server drops it. */
const SILENT_EVERY = 500;

function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;
}

/** RSS without file-backed pages (those are mostly the bun executable's code, paged in as first run). */
function anonymousMiB(pid: number): number {
  return Number(/^Anonymous:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"))![1]) / 1024;
}

function lines(child: ChildProcess, onLine: (line: string) => void): void {
  let buf = "";
  child.stdout!.on("data", (d: Buffer) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      onLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
}

function closed(s: Socket): Promise<void> {
  return new Promise((resolve) => (s.closed ? resolve() : s.once("close", () => resolve())));
}

const versionMessage = (major = 0) => encodeVersionMessage({ major });

/** One hostile client of kind `i % 6`: never a well-formed session. */
async function hostile(path: string, i: number, rand: () => number, stopped: () => boolean): Promise<void> {
  const s = connect({ path });
  s.on("error", () => {});
  s.resume();
  await new Promise<void>((resolve) => {
    s.once("connect", () => resolve());
    s.once("error", () => resolve());
  });
  const junk = new Uint8Array(1 + Math.floor(rand() * 64)).map(() => Math.floor(rand() * 256));
  const header = new Uint8Array(16);
  const hv = new DataView(header.buffer);
  switch (i % 6) {
    case 0: // connects and says nothing
      // Until the server drops it (or the server is gone).
      if (i % SILENT_EVERY === 0) while (!s.closed && !stopped()) await new Promise((r) => setTimeout(r, 50));
      break;
    case 1: // garbage instead of VERSION
      s.write(junk);
      break;
    case 2: // a VERSION with a major version nobody speaks
      s.write(versionMessage(9));
      break;
    case 3: // VERSION, then garbage
      s.write(versionMessage());
      s.write(junk);
      break;
    case 4: // VERSION, then a REGION_READ header cut short
      hv.setUint16(0, 2, true);
      hv.setUint16(2, VfioUserCommand.REGION_READ, true);
      hv.setUint32(4, 32, true);
      s.write(versionMessage());
      s.write(header.subarray(0, 10));
      break;
    default: // VERSION, then a header claiming 64 MiB
      hv.setUint16(0, 2, true);
      hv.setUint16(2, VfioUserCommand.REGION_READ, true);
      hv.setUint32(4, 64 << 20, true);
      s.write(versionMessage());
      s.write(header);
      break;
  }
  await new Promise((r) => setTimeout(r, 1));
  s.destroy();
  await closed(s);
}

async function readRate(path: string, seconds: number): Promise<number> {
  const c = await VfioUserClient.connect(path, { timeoutMs: 10_000 });
  try {
    let n = 0;
    const end = performance.now() + seconds * 1000;
    while (performance.now() < end) {
      await c.regionRead(PCI_REGION.BAR0, REG.DEVICE_ID.offsetBytes, 4);
      n++;
    }
    return n / seconds;
  } finally {
    c.close();
  }
}

export default async function bench(): Promise<BenchRow[]> {
  // Read per run, so apps/cli/test/up-soak.test.ts can ask for fewer.
  const RECONNECTS = Number(process.env.MOCK_ACCEL_SOAK_RECONNECTS ?? 100_000);
  const HOSTILE = Number(process.env.MOCK_ACCEL_SOAK_HOSTILE ?? 50_000);
  const rows: BenchRow[] = [];
  const runDir = mkdtempSync(join(tmpdir(), "mock-accel-bench-soak-"));
  const up = spawn("bun", ["apps/cli/src/main.ts", "up", "examples/cluster.yaml", "--run-dir", runDir], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let exited: string | undefined;
  let upStderr = "";
  const serverStderr = process.env.MOCK_ACCEL_SOAK_SERVER_STDERR;
  up.stderr!.on("data", (d: Buffer) => {
    if (serverStderr) appendFileSync(serverStderr, d);
    upStderr = (upStderr + d.toString()).slice(-3000);
  });
  let stopping = false;
  up.once("exit", (code, signal) => {
    if (!stopping) exited = `code ${code}, signal ${signal}; stderr: ${upStderr}`;
  });
  let reader: ChildProcess | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      lines(up, (l) => l.includes("device(s) up") && resolve());
      up.once("exit", () => reject(new Error(`mock-accel up exited before serving (${exited})`)));
    });
    const sockets = readdirSync(runDir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".sock")).sort().map((f) => join(runDir, f));
    if (sockets.length !== 12) throw new Error(`expected 12 sockets in ${runDir}, found ${sockets.length}`);
    const [observed, ...loaded] = sockets as [string, ...string[]];
    await Bun.sleep(500);
    const rssStart = rssMiB(up.pid!);
    const anonStart = anonymousMiB(up.pid!);

    reader = spawn("bun", [join(import.meta.dirname, "soak-reader.ts"), observed], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
    const readerResult = new Promise<{ reads: number; seconds: number; worstMs: number; errors: number }>((resolve, reject) => {
      lines(reader!, (l) => {
        const m = JSON.parse(l) as { ready?: boolean; reads?: number };
        if (m.reads !== undefined) resolve(m as { reads: number; seconds: number; worstMs: number; errors: number });
      });
      reader!.once("exit", (code) => reject(new Error(`soak reader exited with ${code}`)));
    });
    await Bun.sleep(500);

    let seed = 0x5eed;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    let reconnectsDone = 0;
    let hostileDone = 0;
    let reconnectErrors = 0;
    const started = performance.now();
    const reconnectLoop = async (lane: number) => {
      for (let i = lane; i < RECONNECTS && !exited; i += CONCURRENCY) {
        try {
          const c = await VfioUserClient.connect(loaded[i % loaded.length]!, { timeoutMs: 10_000 });
          await c.regionRead(PCI_REGION.BAR0, REG.STATUS.offsetBytes, 4);
          c.close();
          reconnectsDone++;
        } catch (err) {
          if (reconnectErrors++ < 3) console.error(`[soak] reconnect ${i}: ${String(err)}`);
        }
      }
    };
    const hostileLoop = async (lane: number) => {
      for (let i = lane; i < HOSTILE && !exited; i += CONCURRENCY) {
        await hostile(loaded[(i * 7) % loaded.length]!, i, rand, () => exited !== undefined);
        hostileDone++;
      }
    };
    const progress = setInterval(() => {
      if (!exited) console.error(`[soak] ${reconnectsDone} reconnects, ${hostileDone} hostile, RSS ${rssMiB(up.pid!).toFixed(1)} MiB, ${((performance.now() - started) / 1000).toFixed(0)} s`);
    }, 10_000);
    await Promise.all([
      ...Array.from({ length: CONCURRENCY }, (_, lane) => reconnectLoop(lane)),
      ...Array.from({ length: CONCURRENCY }, (_, lane) => hostileLoop(lane)),
    ]);
    clearInterval(progress);
    const soakSeconds = (performance.now() - started) / 1000;
    reader.kill("SIGTERM");
    const killer = setTimeout(() => reader?.kill("SIGKILL"), 5000);
    const observedStats = await readerResult.catch(() => ({ reads: 0, seconds: soakSeconds, worstMs: NaN, errors: NaN }));
    clearTimeout(killer);
    if (exited) {
      const panic = /panic[^\n]*/.exec(exited)?.[0] ?? exited.slice(0, 200);
      rows.push({ suite: SUITE, metric: "server survived", value: 0, unit: "bool", aim: "1", note: `died after ${reconnectsDone} reconnects and ${hostileDone} hostile clients in ${soakSeconds.toFixed(0)} s: ${panic}` });
      rows.push({ suite: SUITE, metric: "RSS at start", value: rssStart, unit: "MiB" });
      rows.push({ suite: SUITE, metric: "observed device: worst read latency before the crash", value: observedStats.worstMs, unit: "ms" });
      return rows;
    }
    await Bun.sleep(1500); // silent clients still waiting for their timeout
    const rssEnd = rssMiB(up.pid!);
    const anonEnd = anonymousMiB(up.pid!);
    const rates: number[] = [];
    for (const s of sockets) rates.push(await readRate(s, 0.5));

    // The server's own account (printed by `up` as it stops): the longest it spent on one event.
    stopping = true;
    const gone = new Promise((r) => up.once("exit", r));
    up.kill("SIGTERM");
    await gone;
    const longest = /longest single event ([\d.]+) ms/.exec(upStderr);
    const longestCpu = /most CPU time in one event ([\d.]+) ms/.exec(upStderr);
    rows.push({ suite: SUITE, metric: "server survived", value: 1, unit: "bool", aim: "1" });
    if (longest) rows.push({ suite: SUITE, metric: "server loop: longest single event", value: Number(longest[1]), unit: "ms", aim: "~1 ms", note: "how long another device's access could wait behind one client" });
    if (longestCpu) rows.push({ suite: SUITE, metric: "server loop: most CPU time in one event", value: Number(longestCpu[1]), unit: "ms", aim: "~1 ms", note: "the loop thread's own work (collector pauses included); the rest of a long event is waiting for a core" });
    rows.push({ suite: SUITE, metric: "clean reconnects", value: reconnectsDone, unit: "connections", note: `${reconnectErrors} failed; ${(reconnectsDone / soakSeconds).toFixed(0)}/s` });
    rows.push({ suite: SUITE, metric: "hostile clients", value: hostileDone, unit: "connections", note: `${(hostileDone / soakSeconds).toFixed(0)}/s` });
    rows.push({ suite: SUITE, metric: "soak duration", value: soakSeconds, unit: "s" });
    rows.push({ suite: SUITE, metric: "RSS at start", value: rssStart, unit: "MiB" });
    rows.push({ suite: SUITE, metric: "RSS at end", value: rssEnd, unit: "MiB", aim: "start + a few MiB" });
    rows.push({ suite: SUITE, metric: "anonymous memory at start", value: anonStart, unit: "MiB", note: "RSS without file pages (the bun executable's code)" });
    rows.push({ suite: SUITE, metric: "anonymous memory at end", value: anonEnd, unit: "MiB", aim: "start + a few MiB" });
    rows.push({ suite: SUITE, metric: "observed device: worst read latency during the soak", value: observedStats.worstMs, unit: "ms", aim: "~1 ms + scheduling", note: `${observedStats.errors} read errors` });
    rows.push({ suite: SUITE, metric: "observed device: reads/s during the soak", value: observedStats.reads / observedStats.seconds, unit: "reads/s" });
    rows.push({ suite: SUITE, metric: "after the soak: slowest device", value: Math.min(...rates), unit: "reads/s", note: `all 12: ${rates.map((r) => r.toFixed(0)).join(" ")}` });
    rows.push({ suite: SUITE, metric: "after the soak: fastest device", value: Math.max(...rates), unit: "reads/s" });
  } finally {
    reader?.kill("SIGKILL");
    if (up.exitCode === null && up.signalCode === null) {
      const gone = new Promise((r) => up.once("exit", r));
      up.kill("SIGTERM");
      await gone;
    }
    rmSync(runDir, { recursive: true, force: true });
  }
  return rows;
}
