#!/usr/bin/env bun
// The README's test command (`bun run test`) and what `.ci/run` calls.
//
// Steps, each counted in the closing "N passed, N failed" line:
//   1. `codegen --check`: generated files must match spec/registers.yaml, and `chart --check`:
//      the Helm chart's templates must match apps/dra-driver/src/manifests.ts (one check each).
//   2. the Kubernetes components built from source (scripts/install-kubernetes.sh; one check),
//      before the build, which packages the Helm chart with the helm built there.
//   3. `turbo build` and `turbo typecheck` (one check each).
//   4. vitest under Bun over every workspace (each test case counted).
//   5. the sysfs client's tests again under Node (it must work on both runtimes).
// Usage: bun scripts/run-tests.ts [--only PROJECT[,PROJECT]] [vitest filters...]
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const root = join(import.meta.dir, "..");
const { values, positionals } = parseArgs({
  args: Bun.argv.slice(2),
  options: { only: { type: "string" }, "skip-node": { type: "boolean", default: false } },
  allowPositionals: true,
});

let passed = 0;
let failed = 0;
let skipped = 0;
const failures: string[] = [];

function step(title: string): void {
  console.log(`\n=== ${title}`);
}

interface VitestJson {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numTotalTests: number;
  numFailedTestSuites: number;
  testResults: { name: string; status: string; message?: string; assertionResults: { fullName: string; status: string }[] }[];
}

function runVitest(label: string, cmd: string[], env: Record<string, string> = {}): void {
  const dir = mkdtempSync(join(tmpdir(), "mock-accel-vitest-"));
  const out = join(dir, "results.json");
  const r = spawnSync(cmd[0]!, [...cmd.slice(1), "--reporter=default", "--reporter=json", `--outputFile.json=${out}`], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, ...env },
  });
  if (!existsSync(out)) {
    failed += 1;
    failures.push(`${label}: vitest wrote no results (exit ${r.status})`);
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  const json = JSON.parse(readFileSync(out, "utf8")) as VitestJson;
  rmSync(dir, { recursive: true, force: true });
  passed += json.numPassedTests;
  failed += json.numFailedTests;
  skipped += json.numPendingTests + json.numTodoTests;
  for (const file of json.testResults) {
    for (const t of file.assertionResults) if (t.status === "failed") failures.push(`${label}: ${t.fullName}`);
    // A file that failed to load has no assertion results but must still count as a failure.
    if (file.status === "failed" && file.assertionResults.length === 0) {
      failed += 1;
      failures.push(`${label}: ${file.name}: ${(file.message ?? "failed to load").split("\n")[0]}`);
    }
  }
  if (json.numTotalTests === 0 && r.status !== 0) {
    failed += 1;
    failures.push(`${label}: vitest exited ${r.status} with no tests`);
  }
}

const only = values.only?.split(",");
const wants = (project: string) => only === undefined || only.includes(project);

if (only === undefined) {
  step("codegen --check");
  const r = spawnSync("bun", ["packages/codegen/src/cli.ts", "--check"], { cwd: root, stdio: "inherit" });
  if (r.status === 0) passed += 1;
  else {
    failed += 1;
    failures.push("codegen --check: generated files drifted from spec/registers.yaml (run `bun run codegen`)");
  }
  step("chart --check");
  const c = spawnSync("bun", ["apps/dra-driver/src/chart/cli.ts", "--check"], { cwd: root, stdio: "inherit" });
  if (c.status === 0) passed += 1;
  else {
    failed += 1;
    failures.push("chart --check: charts/mock-accel drifted from apps/dra-driver/src/manifests.ts (run `bun run chart`)");
  }
}

if (only === undefined || wants("cluster") || wants("dra-driver")) {
  // The control-plane tests run the real Kubernetes components; a first build takes long and
  // says so as it goes. Under CI=true a failure here fails the run; on a laptop without Go the
  // tests that need Kubernetes skip, naming the command.
  step("Kubernetes components (scripts/install-kubernetes.sh)");
  const k = spawnSync("bash", ["scripts/install-kubernetes.sh", "-v"], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  if (k.status === 0) passed += 1;
  else if (process.env.CI === "true" || process.env.CI === "1") {
    failed += 1;
    failures.push("scripts/install-kubernetes.sh failed (its last lines say why)");
  } else console.log("Kubernetes components not built; their tests will skip (see the lines above)");
}

// Always build (turbo makes an unchanged tree a cache hit): Node's run of the sysfs client and
// other packages' imports of it load dist/, which must match src/.
step("build (turbo)");
const b = spawnSync("bun", ["run", "build"], { cwd: root, stdio: "inherit" });
if (b.status === 0) passed += 1;
else {
  failed += 1;
  failures.push("turbo build failed");
}

if (only === undefined) {
  // TypeScript strict in every package (turbo caches an unchanged package).
  step("typecheck (tsc --noEmit, every package)");
  const t = spawnSync("bun", ["run", "typecheck"], { cwd: root, stdio: "inherit" });
  if (t.status === 0) passed += 1;
  else {
    failed += 1;
    failures.push("typecheck failed");
  }
}

step("vitest under Bun");
const projectArgs = only ? only.flatMap((p) => ["--project", p]) : [];
runVitest("bun", ["bunx", "--bun", "vitest", "run", ...projectArgs, ...positionals]);

if (!values["skip-node"] && wants("sysfs-client")) {
  step("sysfs-client under Node");
  runVitest("node", ["npx", "vitest", "run", "--project", "sysfs-client", ...positionals], { MOCK_ACCEL_RUNTIME: "node" });
}

console.log("");
if (failures.length > 0) {
  console.log("Failures:");
  for (const f of failures) console.log(`  - ${f}`);
}
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
