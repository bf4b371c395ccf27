// The loader's first stages: YAML syntax, safe integers and the TypeBox schema. Every error
// names file:line:column at the offending node and the field path, and all come at once.
import { describe, expect, it } from "vitest";
import { at, edit, errorsOf, miniSpec } from "./fixtures/mini-spec.ts";
import { loadSpecText } from "../src/load/load-spec.ts";

const F = "spec/mini.yaml";

describe("spec schema", () => {
  it("the mini fixture and the real spec load without errors", async () => {
    expect(errorsOf(miniSpec())).toEqual([]);
    const { loadSpecFile } = await import("../src/load/load-spec.ts");
    const real = loadSpecFile(new URL("../../../spec/registers.yaml", import.meta.url).pathname, "spec/registers.yaml");
    expect(real.ok ? [] : real.errors).toEqual([]);
  });

  it("an unknown key is reported at the key, naming the keys that are allowed", () => {
    const text = edit(miniSpec(), "        access: RW\n        reset: 0\n        fields:", "        access: RW\n        reset: 0\n        colour: red\n        fields:");
    expect(errorsOf(text)).toEqual([
      `${F}:${at(text, "colour: red", "colour")} bars[0].registers[2].colour: unknown key "colour" (expected one of: name, offset, size_bytes, access, reset, source, behaviour, write_range, fields, enum, description)`,
    ]);
  });

  it("a missing required key is reported at the object that lacks it", () => {
    const text = edit(miniSpec(), "      - name: LIMIT\n        offset: 0x20\n", "      - name: LIMIT\n");
    expect(errorsOf(text)).toEqual([`${F}:${at(text, "- name: LIMIT", "name")} bars[0].registers[6].offset: missing required key "offset"`]);
  });

  it("a value of the wrong type names the expected type and what was written", () => {
    const text = edit(miniSpec(), "offset: 0x24", "offset: twenty");
    expect(errorsOf(text)).toEqual([`${F}:${at(text, "offset: twenty", "twenty")} bars[0].registers[7].offset: expected integer; got "twenty"`]);
  });

  it("a value outside a closed set lists the choices", () => {
    const text = edit(miniSpec(), "access: WO", "access: XO");
    expect(errorsOf(text)).toEqual([`${F}:${at(text, "access: XO", "XO")} bars[0].registers[5].access: expected one of "RO", "RW", "WO"; got "XO"`]);
  });

  it("a union (attribute source) reports the alternative that was meant", () => {
    const text = edit(miniSpec(), "source: { register: STATE }", "source: { registr: STATE }");
    const errors = errorsOf(text);
    expect(errors).toContain(`${F}:${at(text, "registr: STATE", "registr")} sysfs.attributes[4].source.registr: unknown key "registr" (expected one of: register, field)`);
    expect(errors).toContain(`${F}:${at(text, "registr: STATE", "{")} sysfs.attributes[4].source.register: missing required key "register"`);
  });

  it("an unquoted octal mode says to quote it", () => {
    const text = edit(miniSpec(), '      mode: "0444"\n      dra: { attribute: node }', "      mode: 0444\n      dra: { attribute: node }");
    expect(errorsOf(text)).toEqual([
      `${F}:${at(text, "mode: 0444", "0444")} sysfs.attributes[7].mode: mode must be a quoted octal string such as "0644"; YAML reads the unquoted 0444 as the decimal number 444`,
    ]);
  });

  it("numbers that are not safe integers are refused, not rounded", () => {
    const text = edit(miniSpec(), "reset: 0x4B434F4D", "reset: 0x20000000000001");
    expect(errorsOf(text)).toEqual([
      `${F}:${at(text, "reset: 0x20000000000001", "0x2")} bars[0].registers[0].reset: 9007199254740993 is not a safe integer (beyond ±2^53 a JavaScript number cannot hold it exactly)`,
    ]);
  });

  it("YAML syntax errors and duplicate keys carry their position", () => {
    const text = edit(miniSpec(), "        offset: 0x24\n", "        offset: 0x24\n        offset: 0x28\n");
    const errors = errorsOf(text);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^${F}:${at(text, "offset: 0x28", "offset")} \\(document\\): Map keys must be unique`));
  });

  it("reports every error in one pass, in file order", () => {
    let text = edit(miniSpec(), "access: WO", "access: XO");
    text = edit(text, "vendor_id: 0x1de5", "vendor_id: 0x1de50");
    const errors = errorsOf(text);
    expect(errors).toEqual([
      `${F}:${at(text, "vendor_id", "0x1de50")} pci.vendor_id: expected integer to be less or equal to 65535; got 122448`,
      `${F}:${at(text, "access: XO", "XO")} bars[0].registers[5].access: expected one of "RO", "RW", "WO"; got "XO"`,
    ]);
  });

  it("unknown keys do not hide semantic errors elsewhere", () => {
    let text = edit(miniSpec(), "  name: mini_dev\n", "  name: mini_dev\n  vendor: acme\n");
    text = edit(text, "offset: 0x24", "offset: 0x20");
    const errors = errorsOf(text);
    expect(errors).toEqual([
      `${F}:${at(text, "vendor: acme", "vendor")} device.vendor: unknown key "vendor" (expected one of: name, description)`,
      `${F}:${at(text, "offset: 0x20", "0x20", 1)} bars[0].registers[7].offset: offset 0x20 overlaps LIMIT (0x20..0x23)`,
    ]);
  });

  it("a spec with errors yields no model", () => {
    const r = loadSpecText(edit(miniSpec(), "access: WO", "access: XO"), F);
    expect(r.ok).toBe(false);
    expect("model" in r).toBe(false);
  });
});
