#!/usr/bin/env bun
// `bun run codegen [--spec FILE] [--root DIR] [--check] [--quiet]`: spec -> every generated file.
import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { formatSpecError, loadSpecFile } from "./load/load-spec.ts";
import { checkGenerated, generate, writeGenerated } from "./generate.ts";

export const REPO_ROOT = fileURLToPath(new URL("../../..", import.meta.url)).replace(/\/$/, "");

export const USAGE = `Usage: bun run codegen [--spec FILE] [--root DIR] [--check] [--quiet]

Generates the C header, C sysfs code, TypeScript register table, typed sysfs clients
(TypeScript and Go) and docs/registers.md from the device spec.

  --spec FILE  the spec (default: <repo>/spec/registers.yaml)
  --root DIR   where generated paths are written/checked (default: the repo root)
  --check      write nothing; exit 1 and show a diff if any generated file is out of date
  --quiet      print only errors
  --help       show this help`;

export interface CliIO {
  out: (line: string) => void;
  err: (line: string) => void;
}

const defaultIO: CliIO = { out: (l) => console.log(l), err: (l) => console.error(l) };

/** Runs the generator; resolves to the exit code (0 ok, 1 spec errors or drift, 2 bad flags). */
export async function runCodegen(argv: string[], io: CliIO = defaultIO): Promise<number> {
  let values: { spec?: string; root?: string; check?: boolean; quiet?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        spec: { type: "string" },
        root: { type: "string" },
        check: { type: "boolean" },
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    io.err(`codegen: ${err instanceof Error ? err.message.split("\n")[0] : String(err)} (see --help)`);
    return 2;
  }
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const root = resolve(values.root ?? REPO_ROOT);
  const specFile = resolve(values.spec ?? resolve(REPO_ROOT, "spec/registers.yaml"));
  // Errors and banners name the spec relative to the repo, as people open it from there.
  const specPath = displayPath(specFile, root);
  const loaded = loadSpecFile(specFile, specPath);
  if (!loaded.ok) {
    for (const e of loaded.errors) io.err(formatSpecError(e));
    io.err(`Unable to generate due to ${loaded.errors.length} previous error(s)`);
    return 1;
  }
  let files;
  try {
    files = generate(loaded.model, { specPath });
  } catch (err) {
    io.err(`codegen: generator failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  }
  if (values.check) {
    const drift = checkGenerated(root, files);
    if (drift.length === 0) {
      if (!values.quiet) io.out(`codegen --check: ${files.length} generated files match ${specPath}`);
      return 0;
    }
    for (const d of drift) {
      io.err(d.kind === "missing" ? `missing: ${d.path}` : `out of date: ${d.path}`);
      if (d.diff) io.err(d.diff);
    }
    io.err(`codegen --check: ${drift.length} of ${files.length} generated file(s) differ from ${specPath}; run \`bun run codegen\``);
    return 1;
  }
  let result;
  try {
    result = writeGenerated(root, files);
  } catch (err) {
    io.err(`codegen: cannot write generated files (nothing was changed): ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  if (!values.quiet) {
    for (const p of result.written) io.out(`wrote ${p}`);
    io.out(`codegen: ${result.written.length} file(s) written, ${result.unchanged.length} already up to date`);
  }
  return 0;
}

function displayPath(file: string, root: string): string {
  for (const base of [root, REPO_ROOT]) {
    const rel = relative(base, file);
    if (!rel.startsWith("..") && !rel.startsWith("/")) return rel;
  }
  return file;
}

if (import.meta.main) process.exit(await runCodegen(process.argv.slice(2)));
