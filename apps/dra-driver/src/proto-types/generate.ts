// The kubelet API's TypeScript types, generated from the .proto files in ../../proto by
// @grpc/proto-loader's own `proto-loader-gen-types`, with the options src/proto.ts loads them
// with (camelCase names, proto3 defaults filled in, so a received message's `__Output` type has
// every field). The generator writes one folder per proto package and one root file (api.ts,
// every service's constructor type); each file gets a banner and is committed.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { generatedDrift, writeGenerated, type FileDrift, type GeneratedFile } from "../generated-files.ts";
import { PROTO_DIR, PROTO_FILES } from "../proto.ts";

/** Where the generated files are committed. */
export const PROTO_TYPES_DIR = join(import.meta.dirname, "..", "generated", "kubelet-proto");
const PACKAGE_DIR = join(import.meta.dirname, "..", "..");
const REPO_ROOT = join(PACKAGE_DIR, "..", "..");

/** The options that make the types match what src/proto.ts's loader hands over. */
const GENERATOR_OPTIONS = ["--defaults", "--arrays", "--objects", "--grpcLib=@grpc/grpc-js", "--importFileExtension=.ts"];


const BANNER = [
  `// Generated from ${relative(REPO_ROOT, PROTO_DIR)}/{${PROTO_FILES.join(",")}} by \`bun run proto-types\``,
  "// (@grpc/proto-loader's proto-loader-gen-types, options in apps/dra-driver/src/proto-types/generate.ts).",
  "// Do not edit: change the .proto files and run `bun run proto-types`.",
  "",
].join("\n");

function filesUnder(dir: string, base = dir): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? filesUnder(p, base) : [relative(base, p).split("\\").join("/")];
  });
}

/** Runs the generator over `protoDir` (default: the driver's protos) and returns every file it makes, bannered. */
export function generateProtoTypes(protoDir = PROTO_DIR): GeneratedFile[] {
  const bin = createRequire(import.meta.url).resolve("@grpc/proto-loader/build/bin/proto-loader-gen-types.js");
  const out = mkdtempSync(join(tmpdir(), "mock-accel-proto-types-"));
  try {
    // The generator's "Original file:" comment names the proto relative to the working
    // directory: run it from the proto folder so that comment does not depend on where we are.
    const r = spawnSync(process.execPath, [bin, ...GENERATOR_OPTIONS, `--outDir=${out}`, `--includeDirs=.`, "--", ...PROTO_FILES], {
      cwd: protoDir,
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`proto-loader-gen-types over ${protoDir} failed (exit ${r.status}):\n${r.stderr || r.stdout}`);
    return filesUnder(out)
      .sort()
      .map((path) => ({ path, content: BANNER + readFileSync(join(out, path), "utf8") }));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** Every file that differs between `files` and `dir`: missing, changed, or there but no longer generated. */
export function checkProtoTypes(dir = PROTO_TYPES_DIR, files = generateProtoTypes()): FileDrift[] {
  return generatedDrift(dir, files, filesUnder(dir));
}

/** Writes the files and removes any no longer generated; returns what changed. */
export function writeProtoTypes(dir = PROTO_TYPES_DIR, files = generateProtoTypes()): { written: string[]; removed: string[] } {
  return writeGenerated(dir, files, () => filesUnder(dir));
}
