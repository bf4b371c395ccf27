// Every workspace's package.json says what its code imports, and nothing more: a runtime
// source (src/, and guest/ programs compiled at run time) imports only its `dependencies`;
// tests, benchmarks and scripts may add `devDependencies` and the root's tooling (vitest,
// typescript); every listed dependency is imported somewhere in the package; no file reaches
// into another workspace's folder by a relative path (import the package instead); every
// `exports` and `bin` target exists. With Bun's isolated linker an undeclared import fails only
// for whoever installs that package alone, and an unused one drags a test package (or a
// code generator) into a runtime install, so both are checked here rather than found later.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../../..");

interface PackageJson {
  name: string;
  exports?: string | Record<string, string | Record<string, string>>;
  bin?: string | Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

interface Workspace {
  dir: string;
  pkg: PackageJson;
}

const readJson = (path: string): PackageJson => JSON.parse(readFileSync(path, "utf8")) as PackageJson;
const rootPkg = readJson(join(root, "package.json"));
const workspaces: Workspace[] = ["packages", "apps"].flatMap((group) =>
  readdirSync(join(root, group))
    .map((name) => join(root, group, name))
    .filter((dir) => existsSync(join(dir, "package.json")))
    .map((dir) => ({ dir, pkg: readJson(join(dir, "package.json")) })),
);

/** Folders whose files run when the package is used (everything else is for its own development). */
const RUNTIME_FOLDERS = ["src", "guest"];
const DEV_FOLDERS = ["test", "test-cluster", "bench", "scripts"];

/** Relative imports into another workspace that stay, each with the reason. */
function crossingAllowed(from: Workspace, file: string, target: string): string | null {
  // codegen's tests read what codegen wrote, as files: the generated modules are its output.
  if (from.pkg.name === "@mock-accel/codegen" && target.split(sep).includes("generated")) return "codegen output";
  // The driver image's test needs the kubelet protos; node-image cannot depend on the driver
  // (the driver depends on node-image). Moving that test to apps/dra-driver means moving the
  // containerd helpers with it: not done yet.
  if (relative(root, file) === join("packages", "node-image", "test", "images.test.ts") && relative(root, target) === join("apps", "dra-driver", "src", "proto.ts")) return "known";
  return null;
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "dist") continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|tsx|mts|js|mjs)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/** Every module specifier a file imports or re-exports, type-only and dynamic imports included. */
function specifiers(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  return info.importedFiles.map((f) => f.fileName);
}

/** The package a bare specifier names ("@scope/name/sub" -> "@scope/name"), or null for built-ins and relative paths. */
function packageOf(spec: string): string | null {
  if (spec.startsWith(".") || spec.startsWith("/") || spec.startsWith("node:") || spec === "bun" || spec.startsWith("bun:")) return null;
  const parts = spec.split("/");
  return spec.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

function workspaceOf(path: string): Workspace | undefined {
  return workspaces.find((w) => path === w.dir || path.startsWith(w.dir + sep));
}

const targets = (field: PackageJson["exports"] | PackageJson["bin"]): string[] =>
  field === undefined ? [] : typeof field === "string" ? [field] : Object.values(field).flatMap((v) => (typeof v === "string" ? [v] : Object.values(v)));

describe("workspace package boundaries", () => {
  it("finds the workspaces", () => {
    expect(workspaces.map((w) => w.pkg.name)).toContain("@mock-accel/cli");
    expect(workspaces.length).toBeGreaterThan(8);
  });

  for (const { dir, pkg } of workspaces) {
    describe(pkg.name, () => {
      const deps = new Set(Object.keys(pkg.dependencies ?? {}));
      const devDeps = new Set(Object.keys(pkg.devDependencies ?? {}));
      const tooling = new Set(Object.keys(rootPkg.devDependencies ?? {}));
      const files = [...RUNTIME_FOLDERS.map((f) => ({ runtime: true, f })), ...DEV_FOLDERS.map((f) => ({ runtime: false, f }))].flatMap(({ runtime, f }) =>
        sourceFiles(join(dir, f)).map((file) => ({ file, runtime, imports: specifiers(file) })),
      );

      it("every exports and bin target exists", () => {
        const missing = [...targets(pkg.exports), ...targets(pkg.bin)].filter((t) => !existsSync(join(dir, t)));
        // dist/ is what a build writes; the build's own test covers it.
        expect(missing.filter((t) => !t.startsWith("./dist/"))).toEqual([]);
      });

      it("runtime sources import only dependencies; tests and tools only dependencies, devDependencies and the root's tooling", () => {
        const undeclared: string[] = [];
        for (const { file, runtime, imports } of files) {
          for (const spec of imports) {
            const name = packageOf(spec);
            if (name === null || name === pkg.name) continue;
            const ok = deps.has(name) || (!runtime && (devDeps.has(name) || tooling.has(name)));
            if (!ok) undeclared.push(`${relative(root, file)}: ${spec}${devDeps.has(name) ? " (a devDependency, imported at run time)" : ""}`);
          }
        }
        expect(undeclared).toEqual([]);
      });

      it("every dependency is imported by a runtime source, every devDependency by some file", () => {
        const importedBy = (wanted: (f: (typeof files)[number]) => boolean) =>
          new Set(files.filter(wanted).flatMap((f) => f.imports.map(packageOf)).filter((n): n is string => n !== null));
        const atRuntime = importedBy((f) => f.runtime);
        const anywhere = importedBy(() => true);
        const unused = [
          ...[...deps].filter((d) => !atRuntime.has(d)).map((d) => `${d}${anywhere.has(d) ? " (only tests or tools import it: a devDependency)" : ""}`),
          ...[...devDeps].filter((d) => !anywhere.has(d)),
        ];
        expect(unused).toEqual([]);
      });

      it("reaches no other workspace by a relative path", () => {
        const crossings: string[] = [];
        for (const { file, imports } of files) {
          for (const spec of imports) {
            if (!spec.startsWith(".")) continue;
            const path = resolve(dirname(file), spec);
            const target = workspaceOf(path);
            if (target !== undefined && target.dir !== dir && crossingAllowed({ dir, pkg }, file, path) === null) crossings.push(`${relative(root, file)}: ${spec} (import ${target.pkg.name} instead)`);
          }
        }
        expect(crossings).toEqual([]);
      });
    });
  }

  it("no runtime dependency on a test-only package", () => {
    // @mock-accel/e2e is a test suite and @mock-accel/testkit the tests' helpers: what a command
    // or library needs at run time belongs in the package that owns it.
    const testOnly = ["@mock-accel/e2e", "@mock-accel/testkit"];
    const offenders = workspaces.flatMap(({ pkg }) => Object.keys(pkg.dependencies ?? {}).filter((d) => testOnly.includes(d) && pkg.name !== "@mock-accel/e2e").map((d) => `${pkg.name} -> ${d}`));
    expect(offenders).toEqual([]);
  });

  it("the workspace graph has no cycle (turbo orders builds by it)", () => {
    const byName = new Map(workspaces.map((w) => [w.pkg.name, w.pkg]));
    const edges = (name: string) => Object.keys({ ...byName.get(name)?.dependencies, ...byName.get(name)?.devDependencies }).filter((d) => byName.has(d));
    const cycles: string[] = [];
    const visit = (name: string, path: string[]) => {
      if (path.includes(name)) {
        cycles.push([...path.slice(path.indexOf(name)), name].join(" -> "));
        return;
      }
      for (const next of edges(name)) visit(next, [...path, name]);
    };
    for (const name of byName.keys()) visit(name, []);
    expect(cycles).toEqual([]);
  });
});
