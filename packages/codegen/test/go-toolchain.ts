// Running the Go toolchain from tests: `go mod download` for clients/go once (Go's own proxy
// configuration; a no-op with a warm module cache, as `bun run test`'s Go step leaves it), then
// every build offline (GOPROXY=off, -mod=readonly).
import { spawnSync } from "node:child_process";
import { cpSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { requirement } from "@mock-accel/testkit";
import { REPO_ROOT } from "./c/toolchain.ts";

export const GO_MODULE = join(REPO_ROOT, "clients/go");

export const goReq = requirement("go (>= 1.26)", spawnSync("go", ["version"], { stdio: "ignore" }).status === 0, "Go 1.26 or newer from https://go.dev/dl/");

let downloaded = false;

export function runGo(args: string[], cwd: string): { status: number | null; output: string } {
  if (!downloaded) {
    const d = spawnSync("go", ["mod", "download"], { cwd: GO_MODULE, encoding: "utf8", env: { ...process.env, GOWORK: "off" } });
    if (d.status !== 0) return { status: d.status, output: `go mod download in ${GO_MODULE} failed:\n${d.stderr}` };
    downloaded = true;
  }
  const r = spawnSync("go", args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, GOPROXY: "off", GOFLAGS: "-mod=readonly", GOWORK: "off" },
  });
  if (r.error) throw r.error;
  return { status: r.status, output: r.stdout + r.stderr };
}

/** The Go module's hand-written files (not tests, not the generated file) copied into `dir`. */
export function copyGoModule(dir: string): void {
  cpSync(join(GO_MODULE, "go.mod"), join(dir, "go.mod"));
  cpSync(join(GO_MODULE, "go.sum"), join(dir, "go.sum"));
  for (const f of readdirSync(join(GO_MODULE, "mockaccel"))) {
    if (f.endsWith(".go") && !f.endsWith("_test.go") && !f.startsWith("zz_generated")) cpSync(join(GO_MODULE, "mockaccel", f), join(dir, "mockaccel", f));
  }
}

/** gofmt from the same Go installation as `go`. */
export function runGofmt(args: string[]): { status: number | null; output: string } {
  const goroot = spawnSync("go", ["env", "GOROOT"], { encoding: "utf8" }).stdout.trim();
  const r = spawnSync(join(goroot, "bin", "gofmt"), args, { encoding: "utf8" });
  if (r.error) throw r.error;
  return { status: r.status, output: r.stdout + r.stderr };
}
