// The Go client emitter: names Go readers expect, a refusal instead of a Go build error when a
// spec attribute would collide with the hand-written Device, and gofmt-exact output for specs
// other than the real one (the real one is checked by the Go module's own test).
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { assertAvailable } from "@mock-accel/testkit";
import { loadSpecText } from "../src/load/load-spec.ts";
import { GO_CLIENT_PATH, emitGoClient, goName } from "../src/emit/emit-go-client.ts";
import { edit, miniSpec } from "./fixtures/mini-spec.ts";
import { goReq, runGofmt } from "./go-toolchain.ts";
import { tempDir } from "./c/toolchain.ts";

function model(text: string) {
  const r = loadSpecText(text, "spec/mini.yaml");
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("\n"));
  return r.model;
}

describe("Go client emitter", () => {
  test("Go names: initialisms upper-case, the rest Pascal case", () => {
    expect(goName("sriov_numvfs")).toBe("SRIOVNumvfs");
    expect(goName("fw_version")).toBe("FWVersion");
    expect(goName("numa_node")).toBe("NUMANode");
    expect(goName("uuid")).toBe("UUID");
    expect(goName("P2P_DMA")).toBe("P2PDMA");
    expect(goName("passphrase_status")).toBe("PassphraseStatus");
  });

  test("one file, with Go's generated-code banner", () => {
    const [file, ...rest] = emitGoClient(model(miniSpec()), { specPath: "spec/mini.yaml" });
    expect(rest).toEqual([]);
    expect(file!.path).toBe(GO_CLIENT_PATH);
    expect(file!.content.split("\n")[0]).toMatch(/^\/\/ Code generated .* DO NOT EDIT\.$/);
  });

  test.skipIf(goReq.skip)("the mini spec's Go is gofmt-clean", () => {
    assertAvailable(goReq);
    const dir = tempDir("go-mini");
    try {
      mkdirSync(join(dir, "mockaccel"));
      const [file] = emitGoClient(model(miniSpec()), { specPath: "spec/mini.yaml" });
      writeFileSync(join(dir, "mockaccel/zz.go"), file!.content);
      const gofmt = runGofmt(["-l", join(dir, "mockaccel/zz.go")]);
      expect({ status: gofmt.status, unformatted: gofmt.output.trim() }).toEqual({ status: 0, unformatted: "" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
