// The generated server register table is the model: same registers, offsets, sizes, resets,
// fields and enums; and a new behaviour in the spec breaks the server's type check.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { loadSpecFile, loadSpecText } from "../src/load/load-spec.ts";
import { emitServerRegisters, SERVER_REGISTERS_PATH } from "../src/emit/emit-server-registers.ts";
import { typeErrors } from "./fixtures/typecheck.ts";
import { edit } from "./fixtures/mini-spec.ts";

const REPO = fileURLToPath(new URL("../../..", import.meta.url));
const SPEC = join(REPO, "spec/registers.yaml");

function realModel() {
  const r = loadSpecFile(SPEC, "spec/registers.yaml");
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("\n"));
  return r.model;
}

describe("generated packages/server/src/generated/registers.ts", () => {
  it("is what the emitter produces now, with the do-not-edit banner", () => {
    const [file] = emitServerRegisters(realModel(), { specPath: "spec/registers.yaml" });
    expect(file!.path).toBe(SERVER_REGISTERS_PATH);
    const committed = readFileSync(join(REPO, SERVER_REGISTERS_PATH), "utf8");
    expect(committed).toBe(file!.content);
    expect(committed.split("\n").slice(0, 2)).toEqual([
      "// Generated from spec/registers.yaml by packages/codegen (src/emit/emit-server-registers.ts).",
      "// Do not edit: change the spec and run `bun run codegen`.",
    ]);
  });

  it("imports, and its REGISTERS equal the model's registers (offsets, sizes, resets, fields, enums)", async () => {
    const model = realModel();
    const gen = await import("../../server/src/generated/registers.ts");
    const bar = model.bars[0]!;
    expect(gen.BAR0_SIZE_BYTES).toBe(bar.sizeBytes);
    expect(gen.DEVICE_NAME).toBe(model.name);
    expect(gen.PCI.vendorId).toBe(0x1de5);
    expect(gen.PCI.sriov.maxTotalVfs).toBe(model.pci.sriov.maxTotalVfs);
    expect(
      gen.REGISTERS.map((r) => ({
        name: r.name,
        offsetBytes: r.offsetBytes,
        sizeBytes: r.sizeBytes,
        access: r.access,
        resetValue: r.resetValue,
        source: r.source,
        behaviour: r.behaviour,
        fields: r.fields.map((f) => ({ ...f })),
        enumValues: r.enumValues.map((e) => ({ ...e })),
      })),
    ).toEqual(
      bar.registers.map((r) => ({
        name: r.name,
        offsetBytes: r.offsetBytes,
        sizeBytes: r.sizeBytes,
        access: r.access,
        resetValue: r.resetValue,
        source: r.source,
        behaviour: r.behaviour,
        fields: r.fields.map((f) => ({ name: f.name, lsb: f.lsb, widthBits: f.widthBits, mask: f.mask })),
        enumValues: r.enumValues.map((e) => ({ name: e.name, value: e.value })),
      })),
    );
    for (const r of gen.REGISTERS) expect(gen.REG[r.name]).toBe(r);
    expect(gen.REG.STATUS.offsetBytes).toBe(0x2c);
    expect(gen.REG.MEMORY_SIZE.sizeBytes).toBe(8);
    expect(gen.REG.SRIOV_NUM_VFS.writeRange).toEqual({ min: 0n, max: "SRIOV_TOTAL_VFS" });
    expect(gen.REG.PASSPHRASE_LENGTH.writeRange).toEqual({ min: 4n, max: 12n });
    expect(gen.PASSPHRASE_STATUS_VALUES).toEqual({ IDLE: 0n, BUSY: 1n, READY: 2n, ERROR: 3n });
    expect(gen.FW_VERSION_FIELDS.MAJOR).toEqual({ lsb: 16, widthBits: 8, mask: 0xff0000n });
    expect(gen.DEVICE_CONFIG.map((c) => c.name)).toEqual(model.deviceConfig.map((c) => c.name));
    expect(gen.DEVICE_CONFIG.find((c) => c.name === "memory_size")?.defaultPf).toBe(16n << 30n);
  });

  it("type-checks under the repo's strict tsconfig", () => {
    expect(typeErrors({ [SERVER_REGISTERS_PATH]: readFileSync(join(REPO, SERVER_REGISTERS_PATH), "utf8") })).toEqual([]);
  });

  it("adding `behaviour:` to a register makes a server without that handler fail to type-check", () => {
    const text = edit(readFileSync(SPEC, "utf8"), "        reset: 6\n", "        reset: 6\n        behaviour: notify\n");
    const loaded = loadSpecText(text, "spec/registers.yaml");
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join("\n"));
    const [file] = emitServerRegisters(loaded.model, { specPath: "spec/registers.yaml" });
    const server = [
      'import type { RegisterBehaviours } from "./registers-under-test.ts";',
      "export const behaviours: RegisterBehaviours = { STATUS: () => {}, SRIOV_NUM_VFS: () => {}, PASSPHRASE_CMD: () => {} };",
    ].join("\n");
    const dir = "packages/server/src/generated";
    const errors = typeErrors({ [`${dir}/registers-under-test.ts`]: file!.content, [`${dir}/server-under-test.ts`]: server });
    expect(errors).toEqual([expect.stringContaining("Property 'PASSPHRASE_LENGTH' is missing")]);
  });
});
