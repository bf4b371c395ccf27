// What the C lock-step tests need from the machine (gcc, kernel headers, sparse), and the
// helpers that build the generated C in temporary trees: never in the source tree.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { requirement } from "@mock-accel/testkit";

export const C_DIR = fileURLToPath(new URL(".", import.meta.url)).replace(/\/$/, "");
export const REPO_ROOT = join(C_DIR, "../../../..");
export const KERNEL_DRIVER = join(REPO_ROOT, "packages/kernel-driver");

function hasCommand(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

/** A kernel build tree (Debian's linux-headers-*-amd64), newest first. */
export function kernelBuildDir(): string | null {
  const candidates: string[] = [];
  if (existsSync("/lib/modules")) {
    for (const v of readdirSync("/lib/modules").sort().reverse()) candidates.push(`/lib/modules/${v}/build`);
  }
  if (existsSync("/usr/src")) {
    for (const d of readdirSync("/usr/src").sort().reverse()) if (/^linux-headers-.*-amd64$/.test(d)) candidates.push(`/usr/src/${d}`);
  }
  return candidates.find((d) => existsSync(join(d, "Makefile"))) ?? null;
}

export const gccReq = requirement("gcc", hasCommand("gcc"), "apt-get install -y gcc");
export const kernelReq = requirement(
  "Linux kernel build headers (linux-headers-amd64) and make",
  kernelBuildDir() !== null && hasCommand("make") && hasCommand("gcc"),
  "apt-get install -y linux-headers-amd64 make gcc",
);
export const sparseReq = requirement("sparse", hasCommand("sparse"), "apt-get install -y sparse");

export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `mock-accel-${label}-`));
}

/** Files keyed by repo-relative path, written under `root`. */
export function writeTree(root: string, files: readonly { path: string; content: string }[]): void {
  for (const f of files) {
    mkdirSync(dirname(join(root, f.path)), { recursive: true });
    writeFileSync(join(root, f.path), f.content);
  }
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: { cwd?: string; input?: string } = {}): RunResult {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, input: opts.input, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Compiles the userspace round-trip harness: the generated mock_accel_sysfs.c over the
 * kernel shim, the driver-attribute stubs and test/c/roundtrip/main.c. `driverDir` is laid out
 * like packages/kernel-driver (include/ and src/). Returns the binary's path.
 */
export function buildRoundtripHarness(driverDir: string, outDir: string): string {
  const bin = join(outDir, "sysfs-harness");
  const r = run("gcc", [
    "-std=gnu11",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wno-unused-parameter",
    `-I${join(C_DIR, "shim/include")}`,
    `-I${join(C_DIR, "shim")}`,
    `-I${join(driverDir, "src")}`,
    "-o",
    bin,
    join(driverDir, "src/mock_accel_sysfs.c"),
    join(C_DIR, "shim/kernel_shim.c"),
    join(C_DIR, "driver_stubs.c"),
    join(C_DIR, "roundtrip/main.c"),
  ]);
  if (r.status !== 0) throw new Error(`harness build failed:\n${r.stderr}`);
  return bin;
}

/**
 * Copies a kernel-driver-shaped tree's generated C plus the test-only core into a fresh
 * kbuild directory and runs make. Returns make's combined output and status.
 */
export function kbuild(driverDir: string, extraMakeArgs: string[]): RunResult & { dir: string; ko: string } {
  const dir = tempDir("kbuild");
  mkdirSync(join(dir, "src"));
  mkdirSync(join(dir, "include"));
  cpSync(join(driverDir, "include/mock_accel_regs.h"), join(dir, "include/mock_accel_regs.h"));
  for (const f of ["mock_accel_sysfs.c", "mock_accel_sysfs.h"]) cpSync(join(driverDir, "src", f), join(dir, "src", f));
  cpSync(join(C_DIR, "kbuild/test_core.c"), join(dir, "src/test_core.c"));
  cpSync(join(C_DIR, "driver_stubs.c"), join(dir, "src/driver_stubs.c"));
  cpSync(join(C_DIR, "kbuild/Kbuild"), join(dir, "Kbuild"));
  const kdir = kernelBuildDir();
  if (!kdir) throw new Error("no kernel build directory");
  const r = run("make", ["-C", kdir, `M=${dir}`, ...extraMakeArgs, "modules"]);
  return { ...r, dir, ko: join(dir, "mock_accel_sysfs_test.ko") };
}

/** Lines of compiler or sparse output that are diagnostics (warnings or errors). */
export function diagnostics(output: string): string[] {
  return output.split("\n").filter((l) => /\b(warning|error)\b\s*:/i.test(l) || /undefined!/.test(l));
}

export interface ShowResult {
  ret: number;
  text: string;
  reads: number;
  writes: number;
  badAccesses: number;
}

export interface StoreResult {
  ret: number;
  reads: number;
  writes: number;
  badAccesses: number;
  changed: boolean;
}

const hex = (bytes: Uint8Array): string => (bytes.length === 0 ? "-" : Buffer.from(bytes).toString("hex"));

/**
 * Batches commands for the round-trip harness (test/c/roundtrip/main.c) and runs them in one
 * process: queue with set/show/store/visible/dump, then `run()` fills in every result.
 */
export class HarnessSession {
  private readonly commands: string[] = [];
  private readonly sinks: ((line: string) => void)[] = [];

  constructor(private readonly bin: string) {}

  private push(cmd: string, sink: (line: string) => void = () => {}): void {
    this.commands.push(cmd);
    this.sinks.push(sink);
  }

  vf(isVf: boolean): void {
    this.push(`vf ${isVf ? 1 : 0}`);
  }

  set(offsetBytes: number, bytes: Uint8Array): void {
    this.push(`set ${offsetBytes.toString(16)} ${hex(bytes)}`);
  }

  dump(offsetBytes: number, length: number): { bytes?: Uint8Array } {
    const out: { bytes?: Uint8Array } = {};
    this.push(`dump ${offsetBytes.toString(16)} ${length}`, (l) => {
      const h = l.split(" ")[1]!;
      out.bytes = h === "-" ? new Uint8Array() : new Uint8Array(Buffer.from(h, "hex"));
    });
    return out;
  }

  /** Fills the probe-time cache from BAR0 as the driver does at probe; the 32-bit reads it made. */
  probe(): { reads?: number } {
    const out: { reads?: number } = {};
    this.push("probe", (l) => {
      out.reads = Number(l.split(" ")[1]);
    });
    return out;
  }

  show(name: string): { result?: ShowResult } {
    const out: { result?: ShowResult } = {};
    this.push(`show ${name}`, (l) => {
      const [, ret, h, reads, writes, bad] = l.split(" ");
      out.result = {
        ret: Number(ret),
        text: h === "-" ? "" : Buffer.from(h!, "hex").toString("latin1"),
        reads: Number(reads),
        writes: Number(writes),
        badAccesses: Number(bad),
      };
    });
    return out;
  }

  store(name: string, text: string): { result?: StoreResult } {
    const out: { result?: StoreResult } = {};
    this.push(`store ${name} ${hex(new Uint8Array(Buffer.from(text, "latin1")))}`, (l) => {
      const [, ret, reads, writes, bad, changed] = l.split(" ");
      out.result = { ret: Number(ret), reads: Number(reads), writes: Number(writes), badAccesses: Number(bad), changed: changed === "1" };
    });
    return out;
  }

  visible(name: string): { mode?: number } {
    const out: { mode?: number } = {};
    this.push(`visible ${name}`, (l) => {
      out.mode = Number.parseInt(l.split(" ")[1]!, 8);
    });
    return out;
  }

  run(): void {
    const r = run(this.bin, [], { input: this.commands.map((c) => `${c}\n`).join("") });
    if (r.status !== 0) throw new Error(`harness exited ${r.status}: ${r.stderr}`);
    const lines = r.stdout.split("\n").filter((l) => l !== "");
    if (lines.length !== this.commands.length) throw new Error(`harness answered ${lines.length} of ${this.commands.length} commands:\n${r.stdout}`);
    lines.forEach((line, i) => {
      if (line.startsWith("error")) throw new Error(`harness: ${this.commands[i]} -> ${line}`);
      this.sinks[i]!(line);
    });
  }
}
