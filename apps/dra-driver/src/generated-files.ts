// A folder of generated files kept in step with its generator (the chart's templates,
// examples/pods, the kubelet proto types): what differs, writing only what changed and removing
// what is no longer made, and the `[--check]` command line the three generators share.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";

export interface GeneratedFile {
  /** Relative to the folder, with "/" separators. */
  path: string;
  content: string;
}

export interface FileDrift {
  path: string;
  kind: "missing" | "out of date" | "stale";
  detail?: string;
}

/**
 * Every file that differs between `files` and `dir`: missing, changed, or `stale` (in
 * `generatedOnDisk`, the generated files now in `dir`, but no longer made).
 */
export function generatedDrift(dir: string, files: readonly GeneratedFile[], generatedOnDisk: readonly string[]): FileDrift[] {
  const drift: FileDrift[] = [];
  for (const f of files) {
    const file = join(dir, f.path);
    if (!existsSync(file)) drift.push({ path: f.path, kind: "missing" });
    else if (readFileSync(file, "utf8") !== f.content) drift.push({ path: f.path, kind: "out of date" });
  }
  const wanted = new Set(files.map((f) => f.path));
  for (const p of generatedOnDisk) if (!wanted.has(p)) drift.push({ path: p, kind: "stale" });
  return drift;
}

/** Writes the files that differ and removes generated ones no longer made; returns what changed. */
export function writeGenerated(dir: string, files: readonly GeneratedFile[], generatedOnDisk: () => string[]): { written: string[]; removed: string[] } {
  const written: string[] = [];
  for (const f of files) {
    const file = join(dir, f.path);
    if (existsSync(file) && readFileSync(file, "utf8") === f.content) continue;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, f.content);
    written.push(f.path);
  }
  const wanted = new Set(files.map((f) => f.path));
  const removed = generatedOnDisk().filter((p) => !wanted.has(p));
  for (const p of removed) rmSync(join(dir, p));
  return { written, removed };
}

export interface GeneratorCli {
  /** The `bun run` script name, which prefixes every line. */
  name: string;
  usage: string;
  /** The folder as messages show it (relative to the repository). */
  shown: string;
  /** What `--check` says it matched when nothing differs, e.g. "the protos". */
  source: string;
  check: () => FileDrift[];
  write: () => { written: string[]; removed: string[] };
}

/** `NAME [--check]`: exit 0 written or matching, 1 with every difference named, 2 for bad flags. */
export function runGeneratorCli(cli: GeneratorCli, argv: string[]): number {
  let values: { check?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { check: { type: "boolean" }, help: { type: "boolean", short: "h" } }, strict: true }));
  } catch (err) {
    console.error(`${cli.name}: ${(err as Error).message.split("\n")[0]} (see --help)`);
    return 2;
  }
  if (values.help) {
    console.log(cli.usage);
    return 0;
  }
  if (values.check) {
    const drift = cli.check();
    if (drift.length === 0) {
      console.log(`${cli.name} --check: ${cli.shown} matches ${cli.source}`);
      return 0;
    }
    for (const d of drift) console.error(`${d.kind}: ${cli.shown}/${d.path}${d.detail ? `: ${d.detail}` : ""}`);
    console.error(`${cli.name} --check: ${drift.length} difference(s); run \`bun run ${cli.name}\``);
    return 1;
  }
  const { written, removed } = cli.write();
  for (const p of written) console.log(`wrote ${cli.shown}/${p}`);
  for (const p of removed) console.log(`removed ${cli.shown}/${p}`);
  console.log(`${cli.name}: ${written.length} written, ${removed.length} removed`);
  return 0;
}
