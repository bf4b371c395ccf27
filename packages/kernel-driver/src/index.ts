// Build the mock-accel kernel module from this tree, for tests, benchmarks and the end-to-end
// suite. Builds always happen in a temporary copy, so the source tree never holds objects.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEVICE_NAME, FIRMWARE } from "@mock-accel/sysfs-client";
import { cachedBuild, filesUnder, hashFiles } from "@mock-accel/vm-harness";

/** packages/kernel-driver */
export const DRIVER_DIR = join(import.meta.dirname, "..");
/** The firmware file the driver loads with request_firmware. */
export const FIRMWARE_NAME: string = FIRMWARE.file;
export const FIRMWARE_PATH = join(DRIVER_DIR, "firmware", FIRMWARE_NAME);
/** The kernel module's name (rmmod/modprobe): spec device.name. */
export const MODULE_NAME: string = DEVICE_NAME;
export const UAPI_HEADER = join(DRIVER_DIR, "include", "uapi", "mock_accel.h");

/** What a build needs from the tree: everything else (tests, node_modules) stays behind. */
const BUILD_INPUTS = ["Kbuild", "Makefile", "include", "src", "firmware"];

/** Header trees of Debian's linux-headers-*-amd64 packages installed here, newest first. */
export function findDebianKernelHeaders(): { kdir: string; version: string }[] {
  if (!existsSync("/usr/src")) return [];
  return readdirSync("/usr/src")
    .map((d) => /^linux-headers-(\d+\.\d+\.\d+-\d+-amd64)$/.exec(d))
    .filter((m): m is RegExpExecArray => m !== null && existsSync(join("/usr/src", m[0], "Makefile")))
    .map((m) => ({ kdir: join("/usr/src", m[0]), version: m[1]! }))
    .sort((a, b) => b.version.localeCompare(a.version, undefined, { numeric: true }));
}

export interface BuildOptions {
  /** Kernel build tree (e.g. /usr/src/linux-headers-6.1.0-56-amd64). */
  kdir: string;
  /** Extra make variables, e.g. ["W=1"] or ["C=2"]. */
  makeArgs?: string[];
  /** Keep the build directory when the build fails (it is always kept on success: it holds the .ko; the caller removes it). */
  keepDir?: boolean;
}

export interface BuildResult {
  ok: boolean;
  exitCode: number;
  /** make's stdout and stderr, interleaved in arrival order. */
  output: string;
  /** Lines kbuild/gcc/sparse flag as warnings or errors. */
  warnings: string[];
  /** The built mock_accel.ko (in `dir`), when ok. */
  modulePath: string | null;
  /** The temporary build directory. */
  dir: string;
  durationMs: number;
}

/** Lines of compiler, sparse or kbuild diagnostics in make output. */
export function diagnosticLines(output: string): string[] {
  return output
    .split("\n")
    .filter((l) => /\b(warning|error):/i.test(l) || /^WARNING:/.test(l));
}

/** Copy the driver to a temp directory and run `make` there against `kdir`. */
export async function buildModule(opts: BuildOptions): Promise<BuildResult> {
  const dir = mkdtempSync(join(tmpdir(), "mock-accel-kbuild-"));
  const started = performance.now();
  let code: number;
  let output: string;
  try {
    for (const name of BUILD_INPUTS) cpSync(join(DRIVER_DIR, name), join(dir, name), { recursive: true });
    const jobs = Math.max(1, Math.min(2, navigator.hardwareConcurrency || 1));
    const args = ["-C", dir, `KDIR=${opts.kdir}`, `-j${jobs}`, ...(opts.makeArgs ?? [])];
    ({ code, output } = await new Promise<{ code: number; output: string }>((resolve, reject) => {
      const child = spawn("make", args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LC_ALL: "C" } });
      let out = "";
      child.stdout.on("data", (b: Buffer) => (out += b.toString()));
      child.stderr.on("data", (b: Buffer) => (out += b.toString()));
      child.on("error", reject);
      child.on("close", (c) => resolve({ code: c ?? -1, output: out }));
    }));
  } catch (err) {
    // The caller only learns `dir` from a result; without one, nobody else would remove it.
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const durationMs = performance.now() - started;
  const ko = join(dir, `${MODULE_NAME}.ko`);
  const ok = code === 0 && existsSync(ko);
  const result: BuildResult = {
    ok,
    exitCode: code,
    output,
    warnings: diagnosticLines(output),
    modulePath: ok ? ko : null,
    dir,
    durationMs,
  };
  if (!opts.keepDir && !ok) rmSync(dir, { recursive: true, force: true });
  return result;
}

/** Every file a build reads from this tree (build products and the TypeScript left out). */
function buildInputFiles(): string[] {
  return BUILD_INPUTS.flatMap((name) => {
    const abs = join(DRIVER_DIR, name);
    return statSync(abs).isDirectory() ? filesUnder(abs, (p) => !/\.(ts|o|ko|cmd)$/.test(p)) : [abs];
  });
}

/**
 * mock_accel.ko for `kdir`, built once per source content and kernel tree and then reused from
 * the cache (guest tests, the end-to-end suite). Throws with make's output when the build fails.
 */
export async function builtModule(opts: { kdir: string }): Promise<string> {
  const kdirMakefile = join(opts.kdir, "Makefile");
  const kdirStamp = existsSync(kdirMakefile) ? String(statSync(kdirMakefile).mtimeMs) : "";
  const key = hashFiles(buildInputFiles(), [opts.kdir, kdirStamp]);
  return cachedBuild("kbuild", MODULE_NAME, key, `${MODULE_NAME}.ko`, async (out) => {
    const r = await buildModule({ kdir: opts.kdir });
    try {
      if (!r.ok || !r.modulePath) throw new Error(`building ${MODULE_NAME}.ko against ${opts.kdir} failed:\n${r.output}`);
      copyFileSync(r.modulePath, out);
    } finally {
      rmSync(r.dir, { recursive: true, force: true });
    }
  });
}

/** Source of a static userspace client of /dev/mockN (ioctls, errno names), for guests. */
export const IOCTL_CLIENT_SOURCE = join(DRIVER_DIR, "tools", "mock-accel-ioctl.c");
/** The ioctl calls every guest program shares (open, STATUS, PASSPHRASE, errno names); includes the uapi header. */
export const IOCTL_USER_HEADER = join(DRIVER_DIR, "tools", "mock_accel_user.h");

/**
 * Build tools/mock-accel-ioctl.c statically (it runs in a busybox guest) into a new temp dir;
 * returns the binary's path. Usage in the guest: `mock-accel-ioctl abi | status DEV |
 * passphrase DEV [WORDS] | bad DEV`.
 */
export function buildIoctlClient(): string {
  const dir = mkdtempSync(join(tmpdir(), "mock-accel-ioctl-"));
  const out = join(dir, "mock-accel-ioctl");
  const r = spawnSync("gcc", ["-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o", out, IOCTL_CLIENT_SOURCE], { encoding: "utf8" });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`gcc ${IOCTL_CLIENT_SOURCE} failed:\n${r.stderr || r.error?.message}`);
  }
  return out;
}
