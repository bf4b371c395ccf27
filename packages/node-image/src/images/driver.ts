// The DRA driver's node-agent image: apps/dra-driver/src/main.ts (the Containerfile's entry
// point; the protos embedded, see apps/dra-driver/src/embedded-protos.ts) compiled by
// `bun build --compile` into one executable, plus the glibc libraries `ldd` names for it at
// their host paths. Its entrypoint takes what the chart's DaemonSet passes as args
// (`run --driver-name ...`), with `run` as the default command, as in the Containerfile.
//
// --bytecode (with --format=esm, which it needs for main.ts's top-level await) precompiles
// the bundle: the driver starts in about half the time (bench/images.bench.ts), which counts
// under TCG. Baseline CPU: the guest's TCG CPU need not have AVX2.
import { chmodSync, copyFileSync, mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { filesUnder, hostExecutableFiles, REPO_ROOT, runOk } from "@mock-accel/vm-harness";
import type { ImageConfig } from "./oci.ts";

export const DRA_DRIVER_DIR = join(REPO_ROOT, "apps", "dra-driver");
/** The workspace packages compiled into the driver (test/driver-sources.test.ts checks the list against the bundle). */
const DRIVER_PACKAGE_DIRS = ["sysfs-client", "logger"].map((p) => join(REPO_ROOT, "packages", p));
/** Where the image keeps the driver executable. */
export const DRIVER_BINARY = "/usr/local/bin/mock-accel-dra";

export const DRIVER_CONFIG: ImageConfig = { entrypoint: [DRIVER_BINARY], cmd: ["run"] };

/** Everything the compiled driver is made of: its sources and protos, the workspace packages' it imports, and the lockfile. */
export function driverSources(): string[] {
  const ts = (p: string) => p.endsWith(".ts");
  return [
    ...filesUnder(join(DRA_DRIVER_DIR, "src"), ts),
    ...filesUnder(join(DRA_DRIVER_DIR, "proto"), (p) => p.endsWith(".proto")),
    join(DRA_DRIVER_DIR, "package.json"),
    ...DRIVER_PACKAGE_DIRS.flatMap((dir) => [...filesUnder(join(dir, "src"), ts), join(dir, "package.json")]),
    join(REPO_ROOT, "bun.lock"),
  ];
}

/** `bun --version` of the bun that compiles (its runtime is what the executable carries). */
export async function bunVersion(): Promise<string> {
  return `bun ${(await runOk("bun", ["--version"])).trim()}`;
}

/** The image's `bun build` flags besides the entry point and output. */
export const DRIVER_BUILD_FLAGS = ["--compile", "--bytecode", "--format=esm", "--target=bun-linux-x64-baseline"] as const;

/** Compiles the driver into `out` (a glibc executable of about 120 MB); `bytecode: false` for comparison. */
export async function compileDriver(out: string, opts: { bytecode?: boolean } = {}): Promise<void> {
  const flags = DRIVER_BUILD_FLAGS.filter((f) => opts.bytecode !== false || (f !== "--bytecode" && f !== "--format=esm"));
  await runOk("bun", ["build", ...flags, "src/main.ts", "--outfile", out], {
    cwd: DRA_DRIVER_DIR, hint: "the first --compile for a target fetches Bun's runtime for it from npm",
  });
}

/** The executable's shared libraries (host path -> image path, the same), for the cache key and the image. */
export async function driverLibraries(binary: string): Promise<Record<string, string>> {
  const files = await hostExecutableFiles(binary, DRIVER_BINARY);
  const libs: Record<string, string> = {};
  for (const [imagePath, host] of Object.entries(files)) if (imagePath !== DRIVER_BINARY && typeof host === "string") libs[imagePath] = host;
  return libs;
}

/** Puts the compiled `binary` and its libraries into `rootfs`. */
export async function fillDriver(rootfs: string, binary: string): Promise<void> {
  const put = (imagePath: string, host: string) => {
    const dest = join(rootfs, imagePath);
    mkdirSync(dirname(dest), { recursive: true });
    copyFileSync(host, dest);
    // The loader and the executable need x; libraries keep the host's mode (symlinks resolved).
    chmodSync(dest, statSync(host).mode & 0o755);
  };
  put(DRIVER_BINARY, binary);
  for (const [imagePath, host] of Object.entries(await driverLibraries(binary))) put(imagePath, host);
  mkdirSync(join(rootfs, "tmp"));
  chmodSync(join(rootfs, "tmp"), 0o1777);
}
