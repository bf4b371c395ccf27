// Where libvfio-user.so.0 is looked for, in order: $LIBVFIO_USER_PATH (a file, or a directory
// holding it), the prefix scripts/install-libvfio-user.sh installs into, then the system's
// library path (the dynamic loader's own search). When none opens, the error names each place
// tried and the command that installs it.
import { existsSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";

export const LIBRARY_SONAME = "libvfio-user.so.0";
export const INSTALL_COMMAND = "scripts/install-libvfio-user.sh";

/** The cache directory shared with scripts/install-libvfio-user.sh. */
export function mockAccelCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MOCK_ACCEL_CACHE) return env.MOCK_ACCEL_CACHE;
  const base = env.XDG_CACHE_HOME || join(env.HOME || homedir(), ".cache");
  return join(base, "mock-accel");
}

/** The prefix scripts/install-libvfio-user.sh builds into (lib/, include/, bin/gpio-pci-idio-16). */
export function libvfioUserPrefix(env: NodeJS.ProcessEnv = process.env): string {
  return join(mockAccelCacheDir(env), "libvfio-user");
}

export interface LibraryCandidate {
  /** What dlopen is given: an absolute path, or the bare soname for the system search. */
  path: string;
  /** Where the candidate came from, for the error message. */
  origin: string;
}

/** Every place the library is looked for, in order. */
export function libraryCandidates(env: NodeJS.ProcessEnv = process.env): LibraryCandidate[] {
  const out: LibraryCandidate[] = [];
  const fromEnv = env.LIBVFIO_USER_PATH;
  if (fromEnv) {
    const abs = resolve(fromEnv);
    const isDir = existsSync(abs) && statSync(abs).isDirectory();
    out.push({ path: isDir ? join(abs, LIBRARY_SONAME) : abs, origin: "LIBVFIO_USER_PATH" });
  }
  out.push({ path: join(libvfioUserPrefix(env), "lib", LIBRARY_SONAME), origin: `${INSTALL_COMMAND} prefix` });
  out.push({ path: LIBRARY_SONAME, origin: "system library path" });
  return out;
}

export class LibraryNotFoundError extends Error {
  constructor(readonly tried: { candidate: LibraryCandidate; error: string }[]) {
    super(
      `libvfio-user not found. Tried:\n${tried
        .map((t) => `  ${t.candidate.path} (${t.candidate.origin}): ${t.error}`)
        .join("\n")}\nInstall it with: ${INSTALL_COMMAND}   (or set LIBVFIO_USER_PATH to a libvfio-user.so.0)`,
    );
    this.name = "LibraryNotFoundError";
  }
}

/**
 * Try each candidate with `open` (which throws when dlopen fails) and return the first that
 * opens, with the path that worked.
 */
export function openFirst<T>(open: (path: string) => T, env: NodeJS.ProcessEnv = process.env): { value: T; path: string } {
  const tried: { candidate: LibraryCandidate; error: string }[] = [];
  for (const candidate of libraryCandidates(env)) {
    if (candidate.path.includes("/") && !existsSync(candidate.path)) {
      tried.push({ candidate, error: "no such file" });
      continue;
    }
    try {
      return { value: open(candidate.path), path: candidate.path };
    } catch (err) {
      tried.push({ candidate, error: err instanceof Error ? err.message.split("\n")[0]! : String(err) });
    }
  }
  throw new LibraryNotFoundError(tried);
}

export interface LibvfioUserInstallation {
  /** The library that opens (absolute path, or the soname when found on the system path). */
  libraryPath: string;
  /** Directory holding vfio-user/libvfio-user.h, when the headers are installed. */
  includeDir: string | null;
  /** libvfio-user's C sample server (the benchmark's peer), when it was built. */
  gpioSamplePath: string | null;
}

/**
 * What is installed, for tests, benchmarks and `doctor`: the library that opens, and next to it
 * the headers and the gpio-pci-idio-16 sample when present. Throws LibraryNotFoundError.
 */
export function findLibvfioUserInstallation(open: (path: string) => unknown, env: NodeJS.ProcessEnv = process.env): LibvfioUserInstallation {
  const { path } = openFirst(open, env);
  const prefixes = path.includes("/") ? [join(dirname(dirname(path)))] : [];
  prefixes.push(libvfioUserPrefix(env), "/usr/local", "/usr");
  const includeDir = prefixes.map((p) => join(p, "include")).find((d) => existsSync(join(d, "vfio-user", "libvfio-user.h"))) ?? null;
  const gpioSamplePath = prefixes.map((p) => join(p, "bin", "gpio-pci-idio-16")).find((f) => existsSync(f)) ?? null;
  return { libraryPath: path, includeDir, gpioSamplePath };
}
