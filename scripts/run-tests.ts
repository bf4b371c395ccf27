#!/usr/bin/env bun
// The README's test command (`bun run test`) and what `.ci/run` calls.
//
// Steps, each counted in the closing "N passed, N failed" line:
//   1. `codegen --check`: generated files must match spec/registers.yaml, `chart --check`:
//      the Helm chart's templates must match apps/dra-driver/src/manifests.ts,
//      `example-pods --check`: examples/pods must match its generator, and `proto-types --check`:
//      the kubelet message types must match apps/dra-driver/proto (one check each).
//   2. the Kubernetes components built from source (scripts/install-kubernetes.sh; one check),
//      before the build, which packages the Helm chart with the helm built there.
//   3. `turbo build`, and one `tsc` program over every workspace (tsconfig.check.json) (one
//      check each).
//   4. vitest under Bun over every workspace (each test case counted).
//   5. the sysfs client's tests again under Node (it must work on both runtimes).
//   6. the Go modules (the client, clients/go, and the benchmark's kubelet client,
//      apps/dra-driver/bench/kubelet-go): `go vet` (one check each) and `go test -json` (each
//      test counted).
// Usage: bun scripts/run-tests.ts [--only PROJECT[,PROJECT]] [vitest filters...]
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runRelayed, runShown } from "../apps/cli/src/progress.ts";
import { isCI } from "../packages/testkit/src/index.ts";

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

// vitest's JSON reports stay where vitest says it wrote them (one per run, replaced each time).
const reportDir = join(root, "node_modules", ".cache", "mock-accel", "test-reports");
// When the output is not a terminal, a line at least every 10 s naming the test files running.
const heartbeat = "--reporter=./scripts/vitest-heartbeat.ts";

async function runVitest(label: string, cmd: string[], env: Record<string, string> = {}): Promise<void> {
  mkdirSync(reportDir, { recursive: true });
  const out = join(reportDir, `vitest-${label}.json`);
  rmSync(out, { force: true });
  // Relayed when not a terminal, so vitest's start-up (every project's config) is not silent.
  const status = await runRelayed("vitest", cmd[0]!, [...cmd.slice(1), "--reporter=default", heartbeat, "--reporter=json", `--outputFile.json=${out}`], {
    cwd: root,
    env: { ...process.env, ...env },
    indent: "  ",
  });
  if (!existsSync(out)) {
    failed += 1;
    failures.push(`${label}: vitest wrote no results (exit ${status})`);
    return;
  }
  const json = JSON.parse(readFileSync(out, "utf8")) as VitestJson;
  passed += json.numPassedTests;
  failed += json.numFailedTests;
  skipped += json.numPendingTests + json.numTodoTests;
  for (const file of json.testResults) {
    for (const t of file.assertionResults) if (t.status === "failed") failures.push(`${label}: ${t.fullName}`);
    // A file that failed to load, or whose beforeAll failed (its tests then read "skipped"),
    // has no failed assertion but must still count as a failure.
    if (file.status === "failed" && !file.assertionResults.some((t) => t.status === "failed")) {
      failed += 1;
      failures.push(`${label}: ${file.name}: ${(file.message ?? "failed to load").split("\n")[0]}`);
    }
  }
  if (json.numTotalTests === 0 && status !== 0) {
    failed += 1;
    failures.push(`${label}: vitest exited ${status} with no tests`);
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
  step("example-pods --check");
  const e = spawnSync("bun", ["apps/dra-driver/src/example-pods/cli.ts", "--check"], { cwd: root, stdio: "inherit" });
  if (e.status === 0) passed += 1;
  else {
    failed += 1;
    failures.push("example-pods --check: examples/pods drifted from apps/dra-driver/src/example-pods/generate-pods.ts (run `bun run example-pods`)");
  }
  step("proto-types --check");
  const p = spawnSync("bun", ["apps/dra-driver/src/proto-types/cli.ts", "--check"], { cwd: root, stdio: "inherit" });
  if (p.status === 0) passed += 1;
  else {
    failed += 1;
    failures.push("proto-types --check: apps/dra-driver/src/generated/kubelet-proto drifted from apps/dra-driver/proto (run `bun run proto-types`)");
  }
}

if (only === undefined || wants("cluster") || wants("dra-driver")) {
  // The control-plane tests run the real Kubernetes components; a first build takes long and
  // says so as it goes. Under CI=true a failure here fails the run; on a laptop without Go the
  // tests that need Kubernetes skip, naming the command.
  step("Kubernetes components (scripts/install-kubernetes.sh)");
  const k = spawnSync("bash", ["scripts/install-kubernetes.sh", "-v"], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  if (k.status === 0) passed += 1;
  else if (isCI) {
    failed += 1;
    failures.push("scripts/install-kubernetes.sh failed (its last lines say why)");
  } else console.log("Kubernetes components not built; their tests will skip (see the lines above)");
}

// Always build (turbo makes an unchanged tree a cache hit): Node's run of the sysfs client and
// other packages' imports of it load dist/, which must match src/.
step("build (turbo)");
try {
  await runShown("turbo build", "bun", ["run", "build"], { cwd: root, indent: "  " });
  passed += 1;
} catch {
  failed += 1;
  failures.push("turbo build failed (output above)");
}

if (only === undefined) {
  // TypeScript strict in every workspace, as one program: each shared source is checked once.
  const workspaces = ["packages", "apps"].flatMap((d) => readdirSync(join(root, d)).map((p) => `${d}/${p}`));
  step(`typecheck (one tsc program, tsconfig.check.json: ${workspaces.length} workspaces, scripts, bench)`);
  console.log(`  ${workspaces.join(", ")}`);
  try {
    await runShown("tsc", join(root, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.check.json", "--pretty", "false"], { cwd: root, indent: "  " });
    passed += 1;
  } catch {
    failed += 1;
    failures.push("typecheck failed (errors above)");
  }
}


// "go" is not a vitest project (step 6); `--only go` runs no vitest at all.
const vitestOnly = only?.filter((p) => p !== "go");
const projectArgs = vitestOnly ? vitestOnly.flatMap((p) => ["--project", p]) : [];
if (vitestOnly === undefined || vitestOnly.length > 0) {
  step("vitest under Bun");
  await runVitest("bun", ["bunx", "--bun", "vitest", "run", ...projectArgs, ...positionals]);
}

if (!values["skip-node"] && wants("sysfs-client")) {
  step("sysfs-client under Node");
  await runVitest("node", ["npx", "vitest", "run", "--project", "sysfs-client", ...positionals], { MOCK_ACCEL_RUNTIME: "node" });
}

if (wants("go")) {
  step("Go client (clients/go) and the benchmark's kubelet client (apps/dra-driver/bench/kubelet-go): go vet, go test");
  if (goFound()) for (const dir of ["clients/go", "apps/dra-driver/bench/kubelet-go"]) runGoTests(dir);
}

/** One Go test event of `go test -json` (cmd/test2json). */
interface GoTestEvent {
  Action: string;
  Package?: string;
  Test?: string;
  Output?: string;
}

/** `go vet` (one check) and `go test` (each test counted) in the Go module at `rel` (from the checkout). */
/** Whether `go` runs; if not, one failure under CI (one skip on a laptop) for all the Go modules. */
function goFound(): boolean {
  if (spawnSync("go", ["version"], { stdio: "ignore" }).status === 0) return true;
  const why = "go not found: install Go 1.26 or newer (https://go.dev/dl/)";
  if (isCI) {
    failed += 1;
    failures.push(`go: ${why}`);
  } else {
    skipped += 1;
    console.log(`skipping: ${why}`);
  }
  return false;
}

function runGoTests(rel: string): void {
  const dir = join(root, rel);
  // Fill the module cache first (Go's normal proxy configuration); the tests then run offline.
  const download = spawnSync("go", ["mod", "download"], { cwd: dir, stdio: "inherit" });
  if (download.status !== 0) {
    failed += 1;
    failures.push(`go: \`go mod download\` failed in ${rel}`);
    return;
  }
  const env = { ...process.env, GOFLAGS: "-mod=readonly", GOPROXY: "off", GOWORK: "off" };
  const vet = spawnSync("go", ["vet", "./..."], { cwd: dir, stdio: "inherit", env });
  if (vet.status === 0) passed += 1;
  else {
    failed += 1;
    failures.push(`go vet ./... (${rel})`);
  }
  // go vet ran just above over the same packages; go test's own vet pass would repeat it.
  const r = spawnSync("go", ["test", "-json", "-count=1", "-vet=off", "./..."], { cwd: dir, env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  let counted = 0;
  const packagesWithTests = new Set<string>();
  for (const line of (r.stdout ?? "").split("\n")) {
    if (!line.startsWith("{")) {
      if (line.trim() !== "") console.log(line);
      continue;
    }
    const ev = JSON.parse(line) as GoTestEvent;
    if (ev.Action === "output" && ev.Output !== undefined && !/^\s*(=== RUN|=== PAUSE|=== CONT|--- PASS)/.test(ev.Output)) process.stdout.write(ev.Output);
    if (ev.Test === undefined) {
      // A package that fails without a failing test did not build (or its TestMain failed).
      if (ev.Action === "fail" && !packagesWithTests.has(ev.Package ?? "")) {
        failed += 1;
        failures.push(`go: package ${ev.Package} failed`);
      }
      continue;
    }
    if (ev.Action !== "pass" && ev.Action !== "fail" && ev.Action !== "skip") continue;
    counted += 1;
    packagesWithTests.add(ev.Package ?? "");
    if (ev.Action === "pass") passed += 1;
    else if (ev.Action === "skip") skipped += 1;
    else {
      failed += 1;
      failures.push(`go: ${ev.Package} ${ev.Test}`);
    }
  }
  if (r.stderr) process.stderr.write(r.stderr);
  if (counted === 0 && r.status !== 0) {
    failed += 1;
    failures.push(`go test exited ${r.status} with no tests (${rel})`);
  }
}

console.log("");
if (failures.length > 0) {
  console.log("Failures:");
  for (const f of failures) console.log(`  - ${f}`);
}
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
