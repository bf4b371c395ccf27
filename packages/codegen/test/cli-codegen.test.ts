// `bun run codegen` as a user runs it: flags, exit codes, what is written, --check drift.
import { afterEach, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCodegen } from "../src/cli.ts";
import { generate, writeGenerated } from "../src/generate.ts";
import { loadSpecFile } from "../src/load/load-spec.ts";
import { edit, miniSpec } from "./fixtures/mini-spec.ts";

const REPO = fileURLToPath(new URL("../../..", import.meta.url));
const REAL_SPEC = join(REPO, "spec/registers.yaml");

const temps: string[] = [];
function tempRoot(): string {
  const d = mkdtempSync(join(tmpdir(), "codegen-cli-"));
  temps.push(d);
  return d;
}
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCodegen(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

/** Every file under dir, relative, sorted. */
function tree(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import("node:fs").Dirent[])
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

describe("codegen CLI", () => {
  it("--help prints usage and exits 0", async () => {
    const r = await run(["--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("Usage: bun run codegen [--spec FILE] [--root DIR] [--check] [--quiet]");
  });

  it("a bad flag is a one-line error and exit 2", async () => {
    const r = await run(["--chek"]);
    expect(r.code).toBe(2);
    expect(r.err.split("\n")).toEqual([expect.stringContaining("--chek")]);
  });

  it("writes every generated file under --root, byte-identical on a second run", async () => {
    const root = tempRoot();
    const first = await run(["--spec", REAL_SPEC, "--root", root, "--quiet"]);
    expect(first).toEqual({ code: 0, out: "", err: "" });
    const files = tree(root);
    expect(files).toEqual(
      [
        "clients/go/mockaccel/zz_generated_spec.go",
        "docs/registers.md",
        "packages/kernel-driver/include/mock_accel_regs.h",
        "packages/kernel-driver/src/mock_accel_sysfs.c",
        "packages/kernel-driver/src/mock_accel_sysfs.h",
        "packages/server/src/generated/registers.ts",
        "packages/sysfs-client/src/generated/attributes.ts",
      ].sort(),
    );
    const before = files.map((f) => readFileSync(join(root, f), "utf8"));
    const mtimes = files.map((f) => statSync(join(root, f)).mtimeMs);
    const second = await run(["--spec", REAL_SPEC, "--root", root]);
    expect(second).toEqual({ code: 0, out: "codegen: 0 file(s) written, 7 already up to date", err: "" });
    expect(files.map((f) => readFileSync(join(root, f), "utf8"))).toEqual(before);
    // Untouched files keep their mtimes, so kbuild/make do not rebuild them.
    expect(files.map((f) => statSync(join(root, f)).mtimeMs)).toEqual(mtimes);
  });

  it("a spec with errors prints each with its position, the count, exits 1 and writes nothing", async () => {
    const root = tempRoot();
    const spec = join(root, "bad.yaml");
    writeFileSync(spec, edit(edit(miniSpec(), "offset: 0x24", "offset: 0x20"), "reset: 0x4B434F4D", "reset: 0x14B434F4D"));
    const r = await run(["--spec", spec, "--root", root]);
    expect(r.code).toBe(1);
    const lines = r.err.split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^bad\.yaml:\d+:\d+ bars\[0\]\.registers\[0\]\.reset: reset 0x14b434f4d does not fit in 4 byte\(s\)$/);
    expect(lines[1]).toMatch(/^bad\.yaml:\d+:\d+ bars\[0\]\.registers\[7\]\.offset: offset 0x20 overlaps LIMIT \(0x20\.\.0x23\)$/);
    expect(lines[2]).toBe("Unable to generate due to 2 previous error(s)");
    expect(tree(root)).toEqual(["bad.yaml"]);
  });

  it("--check passes on fresh output, and lists drifted and missing files with a diff", async () => {
    const root = tempRoot();
    expect((await run(["--spec", REAL_SPEC, "--root", root, "--quiet"])).code).toBe(0);
    expect((await run(["--spec", REAL_SPEC, "--root", root, "--check"])).code).toBe(0);

    const regs = join(root, "packages/server/src/generated/registers.ts");
    writeFileSync(regs, readFileSync(regs, "utf8").replace('export const DEVICE_NAME = "mock_accel";', 'export const DEVICE_NAME = "edited";'));
    rmSync(join(root, "docs/registers.md"));
    const before = tree(root);
    const r = await run(["--spec", REAL_SPEC, "--root", root, "--check"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("out of date: packages/server/src/generated/registers.ts");
    expect(r.err).toContain('-export const DEVICE_NAME = "edited";');
    expect(r.err).toContain('+export const DEVICE_NAME = "mock_accel";');
    expect(r.err).toContain("missing: docs/registers.md");
    expect(r.err).toContain("2 of 7 generated file(s) differ");
    expect(tree(root)).toEqual(before);
  });

  it("the committed generated files are what the spec generates (codegen --check on the repo)", async () => {
    const r = await run(["--check"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
  });
});

describe("entry points", () => {
  const sh = (cmd: string[]) => {
    const p = Bun.spawnSync(cmd, { cwd: REPO, stdout: "pipe", stderr: "pipe" });
    return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
  };

  it("`bun run codegen --check` (the root script CI runs) passes on the committed files", () => {
    const r = sh(["bun", "run", "codegen", "--check"]);
    expect(r.out).toContain("codegen --check: 7 generated files match spec/registers.yaml");
    expect(r.code).toBe(0);
  });

  it("`mock-accel codegen` runs the same code: --help exits 0, a bad flag exits 2", () => {
    const help = sh(["bun", "apps/cli/src/main.ts", "codegen", "--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toContain("Usage: bun run codegen");
    const bad = sh(["bun", "apps/cli/src/main.ts", "codegen", "--nope"]);
    expect(bad.code).toBe(2);
    expect(bad.err.trim().split("\n")).toHaveLength(1);
  });
});

describe("writeGenerated", () => {
  it("writes nothing when any file cannot be written, and leaves no temporary files", () => {
    const loaded = loadSpecFile(REAL_SPEC, "spec/registers.yaml");
    if (!loaded.ok) throw new Error("real spec must load");
    const files = generate(loaded.model, { specPath: "spec/registers.yaml" });
    const root = tempRoot();
    // docs/ is a file, so docs/registers.md cannot be created; everything else could.
    writeFileSync(join(root, "docs"), "in the way\n");
    mkdirSync(join(root, "packages/server/src/generated"), { recursive: true });
    writeFileSync(join(root, "packages/server/src/generated/registers.ts"), "old\n");
    expect(() => writeGenerated(root, files)).toThrow();
    expect(readFileSync(join(root, "packages/server/src/generated/registers.ts"), "utf8")).toBe("old\n");
    expect(tree(root).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect(existsSync(join(root, "packages/kernel-driver/include/mock_accel_regs.h"))).toBe(false);
  });
});
