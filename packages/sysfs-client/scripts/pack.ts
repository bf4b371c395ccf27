#!/usr/bin/env bun
// `bun run pack [--out DIR]`: the npm tarball of @mock-accel/sysfs-client, what `npm publish`
// of that tarball would ship. package.json is the source; the published manifest drops what
// only this workspace uses: the "bun" export condition (it points at src/, which is not
// shipped), scripts, devDependencies (workspace:* packages) and prepublishOnly's guard.
// Prints the tarball's path. Run `bun run build` first (dist/ is what ships).
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const PKG = resolve(import.meta.dirname, "..");

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  exports: Record<string, string | Record<string, string>>;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  [key: string]: unknown;
}

/** The manifest npm publishes: package.json without the workspace-only parts. */
export function publishManifest(pkg: Manifest): Manifest {
  const { scripts: _scripts, devDependencies: _dev, private: _private, ...rest } = pkg;
  const exports = Object.fromEntries(
    Object.entries(pkg.exports).map(([k, v]) => [k, typeof v === "string" ? v : Object.fromEntries(Object.entries(v).filter(([c]) => c !== "bun"))]),
  );
  const workspaceDeps = Object.entries(pkg.dependencies ?? {}).filter(([, v]) => v.startsWith("workspace:"));
  if (workspaceDeps.length > 0) throw new Error(`pack: dependencies ${workspaceDeps.map(([n]) => n).join(", ")} exist only in this workspace`);
  return { ...rest, exports };
}

/** Stages the package in a temporary directory and packs it there; returns the tarball path under `outDir`. */
export function packSysfsClient(outDir: string): string {
  if (!existsSync(join(PKG, "dist/index.js"))) throw new Error(`pack: ${join(PKG, "dist")} is missing; run \`bun run build\` first`);
  const manifest = publishManifest(JSON.parse(readFileSync(join(PKG, "package.json"), "utf8")) as Manifest);
  const stage = mkdtempSync(join(tmpdir(), "mock-accel-sysfs-client-pack-"));
  try {
    writeFileSync(join(stage, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    cpSync(join(PKG, "README.md"), join(stage, "README.md"));
    // The package says Apache-2.0; the text travels with it (the repository's LICENSE).
    cpSync(join(PKG, "..", "..", "LICENSE"), join(stage, "LICENSE"));
    cpSync(join(PKG, "dist"), join(stage, "dist"), { recursive: true });
    mkdirSync(outDir, { recursive: true });
    const r = spawnSync("npm", ["pack", "--json", "--pack-destination", outDir], { cwd: stage, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`npm pack failed (exit ${r.status}):\n${r.stderr}`);
    const [info] = JSON.parse(r.stdout) as { filename: string }[];
    return join(outDir, info!.filename);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ args: Bun.argv.slice(2), options: { out: { type: "string" } } });
  console.log(packSysfsClient(resolve(values.out ?? PKG)));
}
