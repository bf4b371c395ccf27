// Cache keys and the build-then-rename of a cached image folder. The key hashes every input
// (files by content, tool versions as text), so an edit rebuilds the images it touches and an
// unchanged tree rebuilds nothing.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { run } from "@mock-accel/vm-harness";

/** A command's standard output; failures name the command, its output and `hint` (what to install). */
export async function output(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; hint?: string } = {}): Promise<string> {
  const hint = opts.hint ? ` (${opts.hint})` : "";
  let r;
  try {
    r = await run(cmd, args, { cwd: opts.cwd, env: opts.env });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new Error(`${cmd} not found${hint}`);
    throw err;
  }
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}${hint}:\n${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/** sha256 (16 hex digits) of labelled text and files' contents, in a stable order. */
export function hashInputs(texts: readonly string[], files: readonly string[]): string {
  const h = createHash("sha256");
  for (const t of texts) h.update(`${t}\0`);
  for (const p of [...new Set(files)].sort()) {
    h.update(`${p}\0`);
    h.update(readFileSync(p));
  }
  return h.digest("hex").slice(0, 16);
}

/** Every file under `dir` that `keep` accepts (node_modules and dist left out). */
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
 * Returns `<root>/<name>-<key>`, building it with `build(dir)` into a fresh sibling that is
 * renamed into place, so a failed or interrupted build leaves nothing that looks finished.
 * Keeps the two newest builds of `name` (older ones are from inputs since changed) and removes
 * partial builds a killed process left over an hour ago.
 */
export async function cachedDir(root: string, name: string, key: string, build: (dir: string) => Promise<void>): Promise<string> {
  const dir = join(root, `${name}-${key}`);
  if (existsSync(dir)) return dir;
  mkdirSync(root, { recursive: true });
  const partial = mkdtempSync(join(root, `.${name}-${key}.partial-`));
  try {
    await build(partial);
    try {
      renameSync(partial, dir);
    } catch (err) {
      // Another process finished the same build first: theirs is as good as ours.
      if (!existsSync(dir)) throw err;
    }
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  pruneOlder(root, name, 2);
  return dir;
}

/** No build takes this long: a partial folder older than this was left by a killed process. */
const ABANDONED_MS = 60 * 60 * 1000;

function pruneOlder(root: string, name: string, keep: number): void {
  for (const d of readdirSync(root)) {
    if (d.startsWith(`.${name}-`) && d.includes(".partial-") && Date.now() - statSync(join(root, d)).mtimeMs > ABANDONED_MS) {
      rmSync(join(root, d), { recursive: true, force: true });
    }
  }
  const builds = readdirSync(root)
    .filter((d) => d.startsWith(`${name}-`) && /^[0-9a-f]{16}$/.test(d.slice(name.length + 1)))
    .map((d) => ({ path: join(root, d), mtimeMs: statSync(join(root, d)).mtimeMs }))
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const old of builds.slice(keep)) rmSync(old.path, { recursive: true, force: true });
}
