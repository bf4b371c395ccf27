// The kubelet message types are generated from the .proto files (src/proto-types/), committed,
// and `bun run proto-types --check` fails when either side moves.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { PROTO_DIR } from "../src/proto.ts";
import { checkProtoTypes, generateProtoTypes, PROTO_TYPES_DIR, writeProtoTypes } from "../src/proto-types/generate.ts";

const root = join(import.meta.dirname, "../../..");
const made: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "mock-accel-proto-types-test-"));
  made.push(d);
  return d;
};
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

const V1_CLAIM = "k8s/io/kubelet/pkg/apis/dra/v1/Claim.ts";

describe("generated kubelet proto types", () => {
  test("`bun run proto-types --check` passes on the committed files", () => {
    const r = spawnSync("bun", ["apps/dra-driver/src/proto-types/cli.ts", "--check"], { cwd: root, encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  test("every file carries the do-not-edit banner; v1, v1beta1 and the registration API are all there", () => {
    const files = generateProtoTypes();
    for (const f of files) expect(f.content.split("\n").slice(0, 3).join("\n")).toMatch(/^\/\/ Generated from apps\/dra-driver\/proto\/.*\n.*\n\/\/ Do not edit: /);
    const paths = files.map((f) => f.path);
    expect(paths).toContain(V1_CLAIM);
    expect(paths).toContain("k8s/io/kubelet/pkg/apis/dra/v1beta1/Claim.ts");
    expect(paths).toContain("pluginregistration/PluginInfo.ts");
    // Received messages have every field (the loader fills proto3 defaults in).
    expect(files.find((f) => f.path === V1_CLAIM)!.content).toMatch(/export interface Claim__Output \{\n  'namespace': \(string\);\n  'uid': \(string\);\n  'name': \(string\);\n\}/);
  });

  test("a changed .proto shows as drift in the file it changes, and nowhere else", () => {
    const protos = tempDir();
    cpSync(PROTO_DIR, protos, { recursive: true });
    const v1 = join(protos, "dra/v1/api.proto");
    writeFileSync(v1, readFileSync(v1, "utf8").replace("message Claim {\n", "message Claim {\n  string extra = 9;\n"));
    expect(checkProtoTypes(PROTO_TYPES_DIR, generateProtoTypes(protos))).toEqual([{ path: V1_CLAIM, kind: "out of date" }]);
  });

  test("a hand edit, a deleted file and a stray file are each reported; writing puts the folder back", () => {
    const dir = tempDir();
    const files = generateProtoTypes();
    writeProtoTypes(dir, files);
    expect(checkProtoTypes(dir, files)).toEqual([]);
    writeFileSync(join(dir, V1_CLAIM), readFileSync(join(dir, V1_CLAIM), "utf8").replace("'uid': (string);", "'uid': (number);"));
    rmSync(join(dir, "pluginregistration/PluginInfo.ts"));
    writeFileSync(join(dir, "pluginregistration/Old.ts"), "export {};\n");
    expect(checkProtoTypes(dir, files)).toEqual([
      { path: "k8s/io/kubelet/pkg/apis/dra/v1/Claim.ts", kind: "out of date" },
      { path: "pluginregistration/PluginInfo.ts", kind: "missing" },
      { path: "pluginregistration/Old.ts", kind: "stale" },
    ]);
    expect(writeProtoTypes(dir, files)).toEqual({ written: [V1_CLAIM, "pluginregistration/PluginInfo.ts"], removed: ["pluginregistration/Old.ts"] });
    expect(checkProtoTypes(dir, files)).toEqual([]);
  });
});
