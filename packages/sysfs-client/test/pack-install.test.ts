// Installable outside this repo: pack the package as `bun run pack` does (npm pack of the
// publish manifest), install the tarball into a scratch project in a temp dir (its dependencies
// from the npm registry through npm's own configuration), and run the README example there
// under Node and under Bun, then type-check a consumer against the shipped declarations.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { assertAvailable, requirement } from "@mock-accel/testkit";
import { packSysfsClient } from "../scripts/pack.ts";

const PKG = join(__dirname, "..");
const REPO = join(PKG, "../..");
const has = (cmd: string) => spawnSync(cmd, ["--version"], { stdio: "ignore" }).status === 0;
/**
 * Node itself: under `bun --bun`, PATH starts with a directory where `node` is Bun, so look for
 * the first `node` that reports a Node version (v20.x, not Bun's 1.x).
 */
function realNode(): string | null {
  for (const d of (process.env.PATH ?? "").split(":")) {
    const candidate = join(d, "node");
    if (!existsSync(candidate)) continue;
    const r = spawnSync(candidate, ["-p", "process.versions.bun === undefined && process.version"], { encoding: "utf8" });
    if (r.status === 0 && /^v\d+/.test(r.stdout.trim())) return candidate;
  }
  return null;
}
const NODE = realNode();
const npmReq = requirement("npm", has("npm"), "apt-get install npm");
const nodeReq = requirement("node", NODE !== null, "apt-get install nodejs");
const bunReq = requirement("bun", has("bun"), "./mock-accel (installs Bun)");

function readmeExample(): { code: string; output: string[] } {
  const blocks = [...readFileSync(join(PKG, "README.md"), "utf8").matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, body: m[2]! }));
  const i = blocks.findIndex((b) => b.lang === "ts");
  return { code: blocks[i]!.body, output: blocks[i + 1]!.body.trimEnd().split("\n") };
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe.skipIf(npmReq.skip)("the packed package, installed from its tarball", () => {
  let dir = "";
  let tarball = "";
  let install: { status: number | null; output: string } = { status: null, output: "" };

  beforeAll(() => {
    if (!npmReq.available) return;
    dir = mkdtempSync(join(tmpdir(), "mock-accel-pack-"));
    tarball = packSysfsClient(join(dir, "tarball"));
    const project = join(dir, "project");
    spawnSync("mkdir", [project]);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "scratch", private: true, type: "module" }));
    const r = spawnSync("npm", ["install", "--no-audit", "--no-fund", tarball], { cwd: project, encoding: "utf8", timeout: 240_000 });
    install = { status: r.status, output: r.stdout + r.stderr };
  }, 300_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("ships dist and types only, no workspace-only dependency", () => {
    assertAvailable(npmReq);
    expect(install.status, install.output).toBe(0);
    const installed = join(dir, "project/node_modules/@mock-accel/sysfs-client");
    const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as Record<string, unknown>;
    expect(manifest).toMatchObject({ license: "Apache-2.0", repository: expect.objectContaining({ directory: "packages/sysfs-client" }) });
    expect(manifest).not.toHaveProperty("private");
    expect(manifest).not.toHaveProperty("devDependencies");
    expect(JSON.stringify(manifest)).not.toContain("workspace:");
    expect(JSON.stringify(manifest.exports)).not.toContain("src/");
    expect(readdirSync(installed).sort()).toEqual(["LICENSE", "README.md", "dist", "package.json"]);
    expect(readFileSync(join(installed, "LICENSE"), "utf8")).toContain("Apache License");
    expect(existsSync(join(installed, "dist/index.js")) && existsSync(join(installed, "dist/index.d.ts"))).toBe(true);
    expect(existsSync(join(dir, "project/node_modules/@mock-accel/testkit"))).toBe(false);
  });

  for (const runtime of ["node", "bun"] as const) {
    const req = runtime === "node" ? nodeReq : bunReq;
    test.skipIf(req.skip)(`the README example discovers a fake tree under ${runtime === "node" ? "Node" : "Bun"}`, () => {
      assertAvailable(npmReq);
      assertAvailable(req);
      expect(install.status, install.output).toBe(0);
      const { code, output } = readmeExample();
      const file = join(dir, "project", `example-${runtime}.mjs`);
      writeFileSync(file, code);
      const r = spawnSync(runtime === "node" ? NODE! : "bun", [file], { cwd: join(dir, "project"), encoding: "utf8", timeout: 60_000 });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const got = r.stdout.trimEnd().split("\n");
      expect(got).toHaveLength(output.length);
      output.forEach((line, i) => expect(got[i]).toMatch(new RegExp(`^${line.split("…").map(escape).join(".*?")}$`)));
    });
  }

  test("a TypeScript consumer type-checks against the shipped declarations", () => {
    assertAvailable(npmReq);
    expect(install.status, install.output).toBe(0);
    const project = join(dir, "project");
    writeFileSync(
      join(project, "check.ts"),
      [
        'import { MockAccelSysfs, toDeviceAttributes, type DraDeviceAttributes } from "@mock-accel/sysfs-client";',
        'const devices = await new MockAccelSysfs({ root: "/sys" }).discover();',
        'const memory: bigint = await devices[0]!.read("memory_size");',
        "const entry: DraDeviceAttributes = await toDeviceAttributes(devices[0]!);",
        "// @ts-expect-error memory_size is a bigint, not a string",
        'const wrong: string = await devices[0]!.read("memory_size");',
        "export { memory, entry, wrong };",
        "",
      ].join("\n"),
    );
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ["check.ts"] }),
    );
    const r = spawnSync(join(REPO, "node_modules/.bin/tsc"), ["-p", join(project, "tsconfig.json")], { cwd: project, encoding: "utf8" });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});
