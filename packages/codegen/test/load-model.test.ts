// What the loader hands every emitter: the normalized model, with defaults filled in and
// units in the names, and errors for a file it cannot read.
import { describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { loadSpecFile, loadSpecText } from "../src/load/load-spec.ts";
import { formatSpecError } from "../src/load/spec-error.ts";
import { miniSpec } from "./fixtures/mini-spec.ts";

const REPO = fileURLToPath(new URL("../../..", import.meta.url));

describe("loading the spec into the model", () => {
  it("the real spec: registers by offset, attribute value types, defaults and write rules", () => {
    const r = loadSpecFile(join(REPO, "spec/registers.yaml"), "spec/registers.yaml");
    if (!r.ok) throw new Error(r.errors.map(formatSpecError).join("\n"));
    const m = r.model;
    const regs = m.bars[0]!.registers;
    expect(regs.map((x) => x.offsetBytes)).toEqual([...regs.map((x) => x.offsetBytes)].sort((a, b) => a - b));
    expect(regs.find((x) => x.name === "MEMORY_SIZE")).toMatchObject({ sizeBytes: 8, resetValue: null, source: "memory_size" });
    expect(regs.find((x) => x.name === "PASSPHRASE_CMD")).toMatchObject({ access: "WO", behaviour: "command", resetValue: null, source: null });
    expect(regs.find((x) => x.name === "FW_VERSION")!.fields.find((f) => f.name === "MAJOR")!.mask).toBe(0xff0000n);
    const types = Object.fromEntries(m.attributes.map((a) => [a.name, a.valueType]));
    expect(types).toMatchObject({ uuid: "uuid", memory_size: "u64", capabilities: "u32", numa_node: "s32", fw_version: "semver", passphrase_status: "enum", passphrase: "string", wordlist_loaded: "bool" });
    const status = m.attributes.find((a) => a.name === "status")!;
    expect(status).toMatchObject({ mode: 0o644, readable: true, writable: true, write: { kind: "parse-u32" } });
    expect(m.attributes.find((a) => a.name === "sriov_numvfs")).toMatchObject({ functions: "pf", write: { kind: "range", min: 0n, max: { register: "SRIOV_TOTAL_VFS" } } });
    expect(m.deviceConfig.find((c) => c.name === "uuid")).toMatchObject({ requiredPf: true, requiredVf: true, defaultPf: null });
    expect(m.deviceConfig.find((c) => c.name === "vf_index")).toMatchObject({ requiredPf: false, requiredVf: false, defaultPf: 0xffffffffn, defaultVf: 0xffffffffn });
  });

  it("dra bits: true on capabilities gives one lowerCamel bool name per CAPABILITIES field", () => {
    const r = loadSpecFile(join(REPO, "spec/registers.yaml"), "spec/registers.yaml");
    if (!r.ok) throw new Error(r.errors.map(formatSpecError).join("\n"));
    const dra = r.model.attributes.find((a) => a.name === "capabilities")!.dra;
    expect(dra).toEqual({
      kind: "attribute",
      name: "capabilities",
      bits: [
        { field: "COMPUTE", name: "compute", lsb: 0, mask: 0x1n },
        { field: "ENCRYPTION", name: "encryption", lsb: 1, mask: 0x2n },
        { field: "COMPRESSION", name: "compression", lsb: 2, mask: 0x4n },
        { field: "P2P_DMA", name: "p2pDma", lsb: 3, mask: 0x8n },
      ],
    });
    // Without bits: true a mapping publishes no bools.
    expect(r.model.attributes.find((a) => a.name === "uuid")!.dra).toEqual({ kind: "attribute", name: "uuid", bits: [] });
  });

  it("dra { capacity, attribute } publishes memory_size as capacity and as an int attribute (the old driver's `memory`)", () => {
    const r = loadSpecFile(join(REPO, "spec/registers.yaml"), "spec/registers.yaml");
    if (!r.ok) throw new Error(r.errors.map(formatSpecError).join("\n"));
    expect(r.model.attributes.find((a) => a.name === "memory_size")!.dra).toEqual({ kind: "capacity", name: "memory", alsoAttribute: "memory" });
  });

  it("a field attribute wider than 32 bits reads as u64", () => {
    const text = miniSpec().replace(
      "      - name: LIMIT",
      "      - name: WIDE\n        offset: 0x28\n        size_bytes: 8\n        access: RO\n        reset: 0\n        fields:\n          - { name: HI, lsb: 8, width_bits: 40 }\n      - name: LIMIT",
    ) + "    - { name: wide_hi, source: { register: WIDE, field: HI }, format: decimal, mode: \"0444\" }\n";
    const r = loadSpecText(text, "spec/mini.yaml");
    if (!r.ok) throw new Error(r.errors.map(formatSpecError).join("\n"));
    expect(r.model.attributes.find((a) => a.name === "wide_hi")!.valueType).toBe("u64");
  });

  it("a spec file that cannot be read is one error naming it", () => {
    const r = loadSpecFile("/nonexistent/registers.yaml", "spec/registers.yaml");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map(formatSpecError)).toEqual([expect.stringMatching(/^spec\/registers\.yaml:1:1 \(document\): cannot read spec: .*ENOENT/)]);
  });

  it("an empty document is reported, not crashed on", () => {
    const r = loadSpecText("", "spec/empty.yaml");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map(formatSpecError)).toEqual(["spec/empty.yaml:1:1 (document): expected object; got null"]);
  });
});
