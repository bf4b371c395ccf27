// Everything a guest boot needs, built from this tree and cached between runs under
// <cache>/guest-image/<key>/, where the key hashes every input (sources, kernel version, Bun version),
// so an edit rebuilds just what it touches and an unchanged tree rebuilds nothing:
//   - the Debian kernel (vm-harness fetches and caches it),
//   - mock_accel.ko built against the matching headers (kernel-driver's builtModule caches it),
//   - the discovery program: guest/discover.ts on @mock-accel/sysfs-client, `bun build --compile`
//     for linux-x64 (baseline CPU; glibc, whose libraries go into the initramfs),
//   - the static C helper (ioctls, timed sysfs reads) built against the uapi header,
//   - the initramfs holding all of it.
import { execFile } from "node:child_process";
import { dirname, join, relative } from "node:path";
import { promisify } from "node:util";
import { builtModule, FIRMWARE_NAME, FIRMWARE_PATH, findDebianKernelHeaders, IOCTL_USER_HEADER, UAPI_HEADER } from "@mock-accel/kernel-driver";
import { buildInitramfs, cacheDir, cachedBuild, DEFAULT_BUSYBOX, filesUnder, hashFiles, fetchDebianKernel, hostExecutableFiles, type GuestFile, type GuestKernel } from "@mock-accel/vm-harness";

const PACKAGE_DIR = join(import.meta.dirname, "..");
// Builds run asynchronously so a caller's progress timer keeps ticking (the first
// `bun build --compile` also fetches Bun's baseline runtime).
const execFileAsync = promisify(execFile);

/** Run a build command; on failure, throw `what` with the command's own output. */
async function runBuild(what: string, cmd: string, args: string[], cwd?: string, env?: NodeJS.ProcessEnv): Promise<void> {
  try {
    await execFileAsync(cmd, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${what} failed:\n${e.stderr || e.stdout || e.message}`);
  }
}
const REPO_ROOT = join(PACKAGE_DIR, "..", "..");
const GUEST_DIR = join(PACKAGE_DIR, "guest");
const SYSFS_CLIENT_DIR = join(REPO_ROOT, "packages", "sysfs-client");

/** Guest paths of the programs the script calls. */
export const GUEST = {
  module: "/mock_accel.ko",
  discover: "/bin/mock-accel-discover",
  helper: "/bin/mock-accel-e2e",
  dump: "/bin/dump-sysfs.sh",
  /** The Go client's discovery; only in a guest that asks for it (`extraFiles`). */
  goDiscover: "/bin/mockaccel-discover",
} as const;

/** The shell walk that dumps a sysfs tree as text (same file runs on the host over a fake tree). */
export const DUMP_SCRIPT = join(GUEST_DIR, "dump-sysfs.sh");

export interface GuestArtifacts {
  kernel: GuestKernel;
  modulePath: string;
  discoverPath: string;
  helperPath: string;
}

/**
 * A TypeScript program compiled with `bun build --compile` for the guest, cached under
 * `<cache>/guest-image/<name>-<key>/<name>` where the key hashes `inputs` (the entry point and every
 * source it bundles that may change) and the Bun version. Baseline: the guest's TCG CPU need
 * not have AVX2. Bun fetches that runtime from npm the first time and caches it. The result is
 * a glibc binary: put it in an initramfs with `hostExecutableFiles`.
 */
export async function compileGuestProgram(opts: { name: string; entry: string; inputs: readonly string[]; cwd?: string }): Promise<string> {
  const inputs = [opts.entry, ...opts.inputs.filter((p) => p !== opts.entry)];
  return cachedBuild("guest-image", opts.name, hashFiles(inputs, [Bun.version]), opts.name, async (out) => {
    await runBuild(`bun build --compile ${opts.entry}`, "bun", ["build", "--compile", "--target=bun-linux-x64-baseline", opts.entry, "--outfile", out], opts.cwd ?? dirname(opts.entry));
  });
}

/** Every `.ts` file under `dir` (node_modules and dist left out): inputs for `compileGuestProgram`. */
export function typescriptSourcesUnder(dir: string): string[] {
  return filesUnder(dir, (p) => p.endsWith(".ts"));
}

async function discoverProgram(): Promise<string> {
  return compileGuestProgram({
    name: "discover",
    entry: join(GUEST_DIR, "discover.ts"),
    inputs: typescriptSourcesUnder(join(SYSFS_CLIENT_DIR, "src")),
    cwd: PACKAGE_DIR,
  });
}

const GO_CLIENT_DIR = join(REPO_ROOT, "clients", "go");

/**
 * The Go client's discovery (clients/go/cmd/mockaccel-discover), a static binary (CGO off) for
 * the guest, cached by the module's sources and the Go version. Go fetches the module's
 * dependencies through its own proxy configuration the first time (as Bun fetches its runtime).
 */
export async function goDiscoverProgram(): Promise<string> {
  const version = (await execFileAsync("go", ["env", "GOVERSION"])).stdout.trim();
  const inputs = filesUnder(GO_CLIENT_DIR, (p) => p.endsWith(".go") || p.endsWith("go.mod") || p.endsWith("go.sum"));
  return cachedBuild("guest-image", "go-discover", hashFiles(inputs, [version]), "mockaccel-discover", async (out) => {
    await runBuild("go build ./cmd/mockaccel-discover", "go", ["build", "-trimpath", "-o", out, "./cmd/mockaccel-discover"], GO_CLIENT_DIR,
      { ...process.env, CGO_ENABLED: "0", GOWORK: "off" });
  });
}

/** The static in-guest helper (guest/mock-accel-e2e.c), built once per source. */
export async function helperProgram(): Promise<string> {
  const source = join(GUEST_DIR, "mock-accel-e2e.c");
  return cachedBuild("guest-image", "helper", hashFiles([source, IOCTL_USER_HEADER, UAPI_HEADER]), "mock-accel-e2e", async (out) => {
    await runBuild("gcc -static guest/mock-accel-e2e.c (apt-get install gcc libc6-dev)", "gcc", ["-static", "-O2", "-Wall", "-Wextra", "-Werror", "-I", dirname(IOCTL_USER_HEADER), "-o", out, source]);
  });
}

/**
 * Kernel, module, programs: fetched or built once, then taken from the cache. `modulePath`
 * uses a module built elsewhere (e.g. by DKMS) instead of building this tree's.
 */
export async function guestArtifacts(opts: { modulePath?: string } = {}): Promise<GuestArtifacts> {
  const headers = findDebianKernelHeaders()[0];
  if (!headers) throw new Error("no Debian kernel headers in /usr/src: apt-get install linux-headers-amd64");
  const [kernel, modulePath, discoverPath, helperPath] = await Promise.all([
    fetchDebianKernel({ version: headers.version }),
    opts.modulePath ?? builtModule({ kdir: headers.kdir }),
    discoverProgram(),
    helperProgram(),
  ]);
  return { kernel, modulePath, discoverPath, helperPath };
}

/**
 * An initramfs with every artifact and `script` as the guest's job; cached by content. `extra`
 * adds files at guest paths (e.g. another compiled program, from `hostExecutableFiles`) or, with
 * `null`, leaves one of ours out (another package's guest need not carry our 100 MB program).
 */
export async function guestInitramfs(a: GuestArtifacts, script: string, extra: Record<string, GuestFile | null> = {}): Promise<string> {
  const merged: Record<string, GuestFile | null> = {
    [GUEST.module]: a.modulePath,
    [`/lib/firmware/${FIRMWARE_NAME}`]: FIRMWARE_PATH,
    // The glibc binary with the libraries ldd names, at their host paths.
    ...(await hostExecutableFiles(a.discoverPath, GUEST.discover)),
    [GUEST.helper]: a.helperPath,
    [GUEST.dump]: DUMP_SCRIPT,
    ...extra,
  };
  const files = Object.fromEntries(Object.entries(merged).filter((e): e is [string, GuestFile] => e[1] !== null));
  const sources = [...Object.values(files).filter((f): f is string => typeof f === "string"), DEFAULT_BUSYBOX];
  const key = hashFiles(sources, [script, ...Object.keys(files)]);
  return cachedBuild("guest-image", "initramfs", key, "initramfs.cpio.gz", async (out) => {
    await buildInitramfs({ files, init: script, outPath: out });
  });
}

/** For messages: a cache path relative to the cache root. */
export function cacheRelative(path: string): string {
  return relative(cacheDir(), path);
}
