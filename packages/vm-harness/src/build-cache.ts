// Builds cached between runs under <cache>/<area>/<name>-<key>/, where the key hashes every
// input, so an edit rebuilds just what it touches and an unchanged tree rebuilds nothing.
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, relative } from "node:path";
import { cacheDir } from "./cache.ts";
import { REPO_ROOT } from "./qemu.ts";

/**
 * A 16-hex-digit key over the files' paths and contents (each file once, in sorted order) and
 * `extra` strings. A path inside this checkout counts relative to it: another clone of the same
 * tree (CI's fresh one, a second worktree) reuses the builds instead of redoing them.
 */
export function hashFiles(paths: readonly string[], extra: readonly string[] = []): string {
  const h = createHash("sha256");
  for (const e of extra) h.update(`${e}\0`);
  const byName = new Map(paths.map((p) => [checkoutRelative(p), p]));
  for (const name of [...byName.keys()].sort()) {
    h.update(`${name}\0`);
    h.update(readFileSync(byName.get(name)!));
  }
  return h.digest("hex").slice(0, 16);
}

function checkoutRelative(path: string): string {
  const rel = relative(REPO_ROOT, path);
  return rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}

/** Every file under `dir` that `keep` accepts, node_modules and dist left out: inputs for `hashFiles`. */
export function filesUnder(dir: string, keep: (path: string) => boolean = () => true): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "dist") continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(p, keep));
    else if (entry.isFile() && keep(p)) out.push(p);
  }
  return out;
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
  removeAbandoned(dir, file);
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

/** No build takes this long: a partial path older than this was left by a killed process. */
const ABANDONED_MS = 60 * 60 * 1000;

function removeAbandoned(dir: string, file: string): void {
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (entry.startsWith(`${file}.partial-`) && Date.now() - statSync(p).mtimeMs > ABANDONED_MS) rmSync(p, { recursive: true, force: true });
  }
}

/** Keeps the `keep` newest `<name>-<key>` builds; older ones are from sources since edited. */
function pruneOlder(root: string, name: string, keep: number): void {
  const builds = readdirSync(root)
    .filter((d) => d.startsWith(`${name}-`) && /^[0-9a-f]{16}$/.test(d.slice(name.length + 1)))
    .map((d) => ({ path: join(root, d), mtimeMs: statSync(join(root, d)).mtimeMs }))
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const old of builds.slice(keep)) rmSync(old.path, { recursive: true, force: true });
}
