// Model -> files (every emitter), and the only module that writes them: all-or-nothing, so a
// failure part-way leaves every target as it was.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { EMITTERS } from "./emit/index.ts";
import type { EmitContext, Emitter, GeneratedFile } from "./emit/emitter.ts";
import type { DeviceModel } from "./model/register-model.ts";

export function generate(model: DeviceModel, ctx: EmitContext, emitters: readonly Emitter[] = EMITTERS): GeneratedFile[] {
  const files = emitters.flatMap((emit) => emit(model, ctx));
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.path)) throw new Error(`two emitters produce ${f.path}`);
    seen.add(f.path);
  }
  return files;
}

/**
 * Writes every changed file to `<target>.codegen-<pid>.tmp` first, then renames them all into
 * place. If any write fails the temps are removed and no target is touched. (A rename failing
 * half-way through the second phase cannot be undone, but rename within one directory only
 * fails when the directory itself is gone.) Files whose content is already right are left
 * alone, so their mtimes stay and make/kbuild do not rebuild what did not change.
 */
export function writeGenerated(root: string, files: readonly GeneratedFile[]): { written: string[]; unchanged: string[] } {
  const temps: { tmp: string; target: string }[] = [];
  const written: string[] = [];
  const unchanged: string[] = [];
  try {
    for (const f of files) {
      const target = join(root, f.path);
      if (readIfExists(target) === f.content) {
        unchanged.push(f.path);
        continue;
      }
      written.push(f.path);
      const tmp = `${target}.codegen-${process.pid}.tmp`;
      mkdirSync(dirname(target), { recursive: true });
      temps.push({ tmp, target });
      writeFileSync(tmp, f.content);
    }
  } catch (err) {
    for (const t of temps) rmSync(t.tmp, { force: true });
    throw err;
  }
  for (const t of temps) renameSync(t.tmp, t.target);
  return { written, unchanged };
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

export interface Drift {
  path: string;
  kind: "missing" | "changed";
  /** A short unified-style diff of the first differences (empty for a missing file). */
  diff: string;
}

/** Files whose content on disk differs from what the spec generates. Reads only. */
export function checkGenerated(root: string, files: readonly GeneratedFile[]): Drift[] {
  const drift: Drift[] = [];
  for (const f of files) {
    let onDisk: string;
    try {
      onDisk = readFileSync(join(root, f.path), "utf8");
    } catch {
      drift.push({ path: f.path, kind: "missing", diff: "" });
      continue;
    }
    if (onDisk !== f.content) drift.push({ path: f.path, kind: "changed", diff: shortDiff(f.path, onDisk, f.content) });
  }
  return drift;
}

/**
 * The first differing region(s) as unified-diff hunks (`-` on disk, `+` generated), with a
 * little context. Not a minimal diff: enough to see what drifted without a diff library.
 */
export function shortDiff(path: string, actual: string, expected: string, maxHunks = 3, context = 2): string {
  const a = actual.split("\n");
  const b = expected.split("\n");
  const out = [`--- ${path} (on disk)`, `+++ ${path} (generated)`];
  let i = 0;
  let j = 0;
  let hunks = 0;
  while (i < a.length || j < b.length) {
    if (a[i] === b[j]) {
      i++;
      j++;
      continue;
    }
    if (hunks === maxHunks) {
      out.push("... (more differences)");
      break;
    }
    hunks++;
    // Find where the two sides meet again: the nearest line pair (di, dj) that matches.
    let resync: [number, number] | null = null;
    for (let d = 1; d < 200 && !resync; d++) {
      for (let di = 0; di <= d && !resync; di++) {
        const dj = d - di;
        if (i + di < a.length && j + dj < b.length && a[i + di] === b[j + dj]) resync = [i + di, j + dj];
      }
    }
    const [ei, ej] = resync ?? [a.length, b.length];
    const start = Math.max(0, i - context);
    out.push(`@@ -${start + 1},${ei - start} +${j - (i - start) + 1},${ej - j + (i - start)} @@`);
    for (let k = start; k < i; k++) out.push(` ${a[k]}`);
    for (let k = i; k < ei; k++) out.push(`-${a[k]}`);
    for (let k = j; k < ej; k++) out.push(`+${b[k]}`);
    i = ei;
    j = ej;
  }
  return out.join("\n");
}
