// Which attribute a client reads to check a write bounded by a register (`write: { max: REG }`)
// is what the spec says: the attribute sourcing REG, or the driver attribute that `shows:` it.
// Never guessed from names.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatSpecError, loadSpecText } from "../src/load/load-spec.ts";
import { writeMaxAttribute } from "../src/emit/client-facts.ts";
import { edit } from "./fixtures/mini-spec.ts";
import { REPO_ROOT } from "./c/toolchain.ts";

const REAL = readFileSync(join(REPO_ROOT, "spec/registers.yaml"), "utf8");

function boundOf(text: string, attribute: string): string | null {
  const r = loadSpecText(text, "spec/registers.yaml");
  if (!r.ok) throw new Error(r.errors.map(formatSpecError).join("\n"));
  return writeMaxAttribute(r.model, r.model.attributes.find((a) => a.name === attribute)!);
}

describe("the attribute bounding a write", () => {
  it("sriov_numvfs is bounded by sriov_totalvfs because the spec says it shows SRIOV_TOTAL_VFS", () => {
    expect(boundOf(REAL, "sriov_numvfs")).toBe("sriov_totalvfs");
  });

  it("a name that merely resembles the register does not count", () => {
    // Same name as before, no `shows:`: clients cannot check the bound before writing.
    expect(boundOf(edit(REAL, "      shows: SRIOV_TOTAL_VFS\n", ""), "sriov_numvfs")).toBeNull();
  });

  it("any name works when the spec says which register it shows", () => {
    const renamed = edit(REAL, "    - name: sriov_totalvfs\n", "    - name: vfs_available\n");
    expect(boundOf(renamed, "sriov_numvfs")).toBe("vfs_available");
  });
});
