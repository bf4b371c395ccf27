// Builds cached between runs under <cache>/<area>/<name>-<key>/, where the key hashes every
// input, so an edit rebuilds just what it touches and an unchanged tree rebuilds nothing.
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { cacheDir } from "./cache.ts";

/** A 16-hex-digit key over the files' paths and contents (in sorted order) and `extra` strings. */
export function hashFiles(paths: readonly string[], extra: readonly string[] = []): string {
  const h = createHash("sha256");
  for (const e of extra) h.update(`${e}\0`);
  for (const p of [...paths].sort()) {
    h.update(`${p}\0`);
    h.update(readFileSync(p));
  }
  return h.digest("hex").slice(0, 16);
}

/**
 * Returns `<cache>/<area>/<name>-<key>/<file>`, building it with `build(tmpPath)` when absent.
 * The build writes a temporary path that is renamed into place, so a failed or interrupted
 * build never leaves a file that looks finished. `file` may be a folder the build creates.
 */
export async function cachedBuild(area: string, name: string, key: string, file: string, build: (out: string) => Promise<void>): Promise<string> {
  const dir = join(cacheDir(), area, `${name}-${key}`);
  const out = join(dir, file);
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  // Unique per call: two builds of the same key may run at once, in one process or several.
  const tmp = `${out}.partial-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await build(tmp);
    try {
      renameSync(tmp, out);
    } catch (err) {
      // Another process finished the same build first (a folder cannot be renamed onto a
      // non-empty one): theirs is as good as ours.
      if (!existsSync(out)) throw err;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  pruneOlder(dirname(dir), name, 2);
  return out;
}

/** Keeps the `keep` newest `<name>-<key>` builds; older ones are from sources since edited. */
function pruneOlder(root: string, name: string, keep: number): void {
  const builds = readdirSync(root)
    .filter((d) => d.startsWith(`${name}-`) && /^[0-9a-f]{16}$/.test(d.slice(name.length + 1)))
    .map((d) => ({ path: join(root, d), mtimeMs: statSync(join(root, d)).mtimeMs }))
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const old of builds.slice(keep)) rmSync(old.path, { recursive: true, force: true });
}
