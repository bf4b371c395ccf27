// One bad spec per semantic rule: each error names file:line:column, the field path and why.
import { describe, expect, it } from "vitest";
import { at, edit, errorsOf, MINI_ATTRIBUTES, MINI_DEVICE_CONFIG, MINI_REGISTERS, miniSpec } from "./fixtures/mini-spec.ts";

const F = "spec/mini.yaml";

/** The spec reports exactly this one error. */
function expectOnly(text: string, where: string, path: string, reason: string): void {
  expect(errorsOf(text)).toEqual([`${F}:${where} ${path}: ${reason}`]);
}

const withRegister = (yaml: string) => miniSpec({ registers: MINI_REGISTERS + yaml });
const withAttribute = (yaml: string) => miniSpec({ attributes: MINI_ATTRIBUTES + yaml });
const EXTRA = (offset: string, more = "        size_bytes: 4\n        access: RO\n        reset: 0") =>
  `\n      - name: EXTRA\n        offset: ${offset}\n${more}`;

describe("register layout", () => {
  it("overlapping registers: the later one names the register it overlaps and its range", () => {
    const text = edit(miniSpec(), "offset: 0x10\n", "offset: 0x0C\n");
    expectOnly(text, at(text, "offset: 0x0C", "0x0C"), "bars[0].registers[2].offset", "offset 0xc overlaps SERIAL (0x8..0xf)");
  });

  it("a register that ends outside its BAR", () => {
    const text = withRegister(EXTRA("0xFC", "        size_bytes: 8\n        access: RO\n        reset: 0"));
    expectOnly(text, at(text, "offset: 0xFC", "0xFC"), "bars[0].registers[8].offset", "EXTRA (0xfc..0x103) ends outside BAR0 (size 0x100)");
  });

  it("misalignment: offset must be a multiple of min(size_bytes, 4)", () => {
    const text = withRegister(EXTRA("0x42"));
    expectOnly(text, at(text, "offset: 0x42", "0x42"), "bars[0].registers[8].offset", "offset 0x42 is not a multiple of 4 (offset must be a multiple of min(size_bytes, 4))");
    // A 2-byte register only needs 2-byte alignment.
    expect(errorsOf(withRegister(EXTRA("0x42", "        size_bytes: 2\n        access: RO\n        reset: 0")))).toEqual([]);
  });

  it("sizes other than 1, 2 or whole 32-bit words are refused", () => {
    const text = withRegister(EXTRA("0x40", "        size_bytes: 6\n        access: RO\n        reset: 0"));
    expectOnly(text, at(text, "size_bytes: 6", "6"), "bars[0].registers[8].size_bytes", "size_bytes 6 must be 1, 2 or a multiple of 4 (the driver uses 32-bit accesses)");
  });
});

describe("names", () => {
  it("duplicate register names", () => {
    const text = withRegister(EXTRA("0x40").replace("EXTRA", "STATE"));
    expectOnly(text, at(text, "- name: STATE", "STATE", 1), "bars[0].registers[8].name", 'duplicate register name "STATE"');
  });

  it("duplicate field names within a register", () => {
    const text = edit(edit(miniSpec(), "          - name: MODE", "          - name: ENABLE"), "field: MODE", "field: ENABLE");
    expectOnly(text, at(text, "- name: ENABLE", "ENABLE", 1), "bars[0].registers[2].fields[1].name", 'duplicate field name in CONTROL "ENABLE"');
  });

  it("duplicate enum value names", () => {
    const text = edit(miniSpec(), "{ name: BUSY, value: 1 }", "{ name: IDLE, value: 1 }");
    expectOnly(text, at(text, "name: IDLE, value: 1", "IDLE"), "bars[0].registers[4].enum[1].name", 'duplicate enum value name in STATE "IDLE"');
  });

  it("duplicate enum values", () => {
    const text = edit(miniSpec(), "{ name: BUSY, value: 1 }", "{ name: BUSY, value: 0 }");
    expectOnly(text, at(text, "name: BUSY, value: 0", "0 }"), "bars[0].registers[4].enum[1].value", 'duplicate enum value in STATE "0x0"');
  });

  it("duplicate attribute names", () => {
    const text = edit(miniSpec(), "    - name: node\n", "    - name: count\n");
    expectOnly(text, at(text, "- name: count", "count", 1), "sysfs.attributes[7].name", 'duplicate attribute name "count"');
  });

  it("duplicate device_config names", () => {
    const text = miniSpec({ deviceConfig: MINI_DEVICE_CONFIG + "\n  - name: serial\n    type: u32" });
    expectOnly(text, at(text, "  - name: serial", "serial", 1), "device_config[2].name", 'duplicate device_config name "serial"');
  });

  it("names that are not identifiers", () => {
    const text = edit(miniSpec(), "- name: LIMIT", "- name: 2LIMIT");
    const errors = errorsOf(text.replaceAll("max: LIMIT }", "max: 2LIMIT }"));
    expect(errors).toEqual([
      `${F}:${at(text, "- name: 2LIMIT", "2LIMIT")} bars[0].registers[6].name: "2LIMIT" is not a valid C/TypeScript identifier (letters, digits, _; not starting with a digit)`,
    ]);
  });

  it("reserved words of TypeScript and of C", () => {
    const ts = edit(miniSpec(), "    - name: node\n", "    - name: delete\n");
    expectOnly(ts, at(ts, "- name: delete", "delete"), "sysfs.attributes[7].name", '"delete" is a reserved word in TypeScript');
    const c = edit(miniSpec(), "  name: mini_dev", "  name: unsigned");
    expectOnly(c, at(c, "name: unsigned", "unsigned"), "device.name", '"unsigned" is a reserved word in C');
  });

  it("names that clash once upper-cased into C macros (or lower-cased into the client's enum names)", () => {
    const e = edit(miniSpec(), "{ name: BUSY, value: 1 }", "{ name: idle, value: 1 }");
    expectOnly(e, at(e, "name: idle", "idle"), "bars[0].registers[4].enum[1].name", "enum value STATE.idle clashes with enum value STATE.IDLE: both define C macro MINI_DEV_STATE__IDLE");
    const text = withRegister(EXTRA("0x40").replace("EXTRA", "State"));
    expectOnly(
      text,
      at(text, "- name: State", "State"),
      "bars[0].registers[8].name",
      "register State clashes with register STATE: both define C macro MINI_DEV_STATE_OFFSET",
    );
  });
});

describe("values", () => {
  it("a reset value wider than the register", () => {
    const text = edit(miniSpec(), "reset: 0x4B434F4D", "reset: 0x14B434F4D");
    expectOnly(text, at(text, "reset: 0x14B434F4D", "0x14"), "bars[0].registers[0].reset", "reset 0x14b434f4d does not fit in 4 byte(s)");
  });

  it("an enum value wider than the register", () => {
    const text = withRegister(EXTRA("0x40", "        size_bytes: 1\n        access: RO\n        reset: 0\n        enum:\n          - { name: BIG, value: 256 }"));
    expectOnly(text, at(text, "name: BIG", "256"), "bars[0].registers[8].enum[0].value", "enum value 0x100 does not fit in 1 byte(s)");
  });

  it("a field outside its register", () => {
    const text = edit(miniSpec(), "            lsb: 1\n            width_bits: 2", "            lsb: 31\n            width_bits: 2");
    expectOnly(text, at(text, "- name: MODE", "name"), "bars[0].registers[2].fields[1]", "field MODE (bits 32..31) is outside the 32-bit register");
  });

  it("fields that overlap each other", () => {
    const text = edit(miniSpec(), "            lsb: 1\n            width_bits: 2", "            lsb: 0\n            width_bits: 2");
    expectOnly(text, at(text, "- name: MODE", "name"), "bars[0].registers[2].fields[1]", "field MODE (bits 1..0) overlaps ENABLE (bits 0..0)");
  });

  it("a register with both reset and source", () => {
    const text = edit(miniSpec(), "        reset: 0x4B434F4D\n", "        reset: 0x4B434F4D\n        source: limit\n");
    expectOnly(text, at(text, "source: limit", "limit"), "bars[0].registers[0].source", "a register has either reset or source, not both");
  });

  it("a register with neither reset nor source (unless it is a command register)", () => {
    const text = edit(miniSpec(), "        reset: 0x4B434F4D\n", "");
    expectOnly(text, at(text, "- name: MAGIC", "MAGIC"), "bars[0].registers[0].name", "register MAGIC needs either reset (a constant) or source (a device_config entry)");
  });

  it("a source naming a missing device_config entry", () => {
    const text = edit(miniSpec(), "source: limit", "source: limits");
    expectOnly(text, at(text, "source: limits", "limits"), "bars[0].registers[6].source", "no device_config entry named limits");
  });

  it("a source whose type does not match the register width", () => {
    const text = edit(miniSpec(), "source: limit", "source: serial");
    expectOnly(text, at(text, "source: serial", "serial", 1), "bars[0].registers[6].source", "device_config serial is u64 (8 bytes) but LIMIT is 4 byte(s)");
  });

  it("behaviour: command on a register that is not WO", () => {
    const text = edit(miniSpec(), "access: WO", "access: RW\n        reset: 0");
    const errors = errorsOf(text);
    expect(errors).toContain(
      `${F}:${at(text, "behaviour: command", "command")} bars[0].registers[5].behaviour: behaviour: command needs access WO (a command value is not stored); DOORBELL is RW`,
    );
  });

  it("a register write range that does not fit or names a missing register", () => {
    const missing = edit(miniSpec(), "write_range: { min: 0, max: LIMIT }", "write_range: { min: 0, max: LIMITS }");
    expectOnly(missing, at(missing, "max: LIMITS", "LIMITS"), "bars[0].registers[7].write_range.max", "no register named LIMITS");
    const wide = edit(miniSpec(), "write_range: { min: 0, max: LIMIT }", "write_range: { min: 0, max: 0x100000000 }");
    expectOnly(wide, at(wide, "max: 0x100000000", "0x1"), "bars[0].registers[7].write_range.max", "max 4294967296 does not fit in 4 byte(s)");
  });
});

describe("sysfs attributes", () => {
  it("an attribute pointing at a missing register", () => {
    const text = edit(miniSpec(), "source: { register: STATE }", "source: { register: STAT }");
    expectOnly(text, at(text, "register: STAT }", "STAT"), "sysfs.attributes[4].source.register", "no register named STAT");
  });

  it("an attribute pointing at a missing field", () => {
    const text = edit(miniSpec(), "field: MODE", "field: MOOD");
    expectOnly(text, at(text, "field: MOOD", "MOOD"), "sysfs.attributes[2].source.field", "register CONTROL has no field named MOOD");
  });

  it("a writable attribute on a read-only register", () => {
    const text = withAttribute(`
    - name: magic
      source: { register: MAGIC }
      format: hex32
      mode: "0644"
      write: { parse: u32 }`);
    expectOnly(text, at(text, 'mode: "0644"', '"0644"', 2), "sysfs.attributes[8].mode", "mode 0644 is writable but register MAGIC is RO");
  });

  it("a readable attribute on a write-only register", () => {
    const text = edit(miniSpec(), '      mode: "0200"', '      mode: "0600"');
    expectOnly(text, at(text, 'mode: "0600"', '"0600"'), "sysfs.attributes[5].mode", "mode 0600 is readable but register DOORBELL is WO (reads return 0)");
  });

  it("format uuid needs a 16-byte register", () => {
    const text = edit(miniSpec(), "      source: { register: SERIAL }\n      format: decimal", "      source: { register: SERIAL }\n      format: uuid");
    expectOnly(text, at(text, "format: uuid", "uuid"), "sysfs.attributes[0].format", "format uuid needs a 16-byte register; register SERIAL (8 bytes)");
  });

  it("format hex32 needs at most 4 bytes", () => {
    const text = edit(miniSpec(), "      source: { register: SERIAL }\n      format: decimal", "      source: { register: SERIAL }\n      format: hex32");
    expectOnly(text, at(text, "format: hex32", "hex32"), "sysfs.attributes[0].format", "format hex32 needs at most 4 bytes; register SERIAL (8 bytes)");
  });

  it("format semver needs MAJOR, MINOR and PATCH fields", () => {
    const text = edit(miniSpec(), "{ name: PATCH, lsb: 0, width_bits: 8 }", "{ name: BUILD, lsb: 0, width_bits: 8 }");
    expectOnly(text, at(text, "format: semver", "semver"), "sysfs.attributes[3].format", "format semver needs fields MAJOR, MINOR and PATCH; VERSION lacks PATCH");
  });

  it("format enum needs enum values", () => {
    const text = edit(miniSpec(), "      source: { register: COUNT }\n      format: decimal", "      source: { register: COUNT }\n      format: enum");
    expect(errorsOf(text)).toContain(`${F}:${at(text, "format: enum", "enum", 1)} sysfs.attributes[6].format: format enum needs enum values; register COUNT has none`);
  });

  it("type missing on a driver attribute", () => {
    const text = edit(miniSpec(), "      type: s32\n", "");
    expectOnly(text, at(text, "source: driver", "driver"), "sysfs.attributes[7].source", "driver attribute node needs a type (u32, s32, u64 or bool)");
  });

  it("type present on a register attribute", () => {
    const text = edit(miniSpec(), "      source: { register: STATE }\n", "      source: { register: STATE }\n      type: u32\n");
    expectOnly(text, at(text, "type: u32", "u32", 1), "sysfs.attributes[4].type", "type is only for driver attributes; a register attribute takes the register's width");
  });

  it("an attribute write range that does not fit its type", () => {
    const text = edit(miniSpec(), "write: { min: 1, max: 1 }", "write: { min: 1, max: 4294967296 }");
    expectOnly(text, at(text, "max: 4294967296", "4294967296"), "sysfs.attributes[5].write.max", "max 4294967296 does not fit u32 (32 bits)");
  });

  it("a write to a field: the range must fit the field, and parse: u32 (any 32-bit value) is refused", () => {
    const range = withAttribute(`
    - name: mode_rw
      source: { register: CONTROL, field: MODE }
      format: decimal
      mode: "0644"
      write: { min: 0, max: 4 }`);
    expectOnly(range, at(range, "write: { min: 0, max: 4 }", "4 }"), "sysfs.attributes[8].write.max", "max 4 does not fit u32 (2 bits)");
    const parse = withAttribute(`
    - name: mode_rw
      source: { register: CONTROL, field: MODE }
      format: decimal
      mode: "0644"
      write: { parse: u32 }`);
    expectOnly(parse, at(parse, "parse: u32", "u32", 1), "sysfs.attributes[8].write.parse", "parse: u32 accepts any 32-bit value, but mode_rw writes 2 bits; give { min, max }");
  });

  it("an attribute write range whose max names a missing register", () => {
    const text = edit(miniSpec(), "      write: { min: 0, max: LIMIT }", "      write: { min: 0, max: LIMTI }");
    expectOnly(text, at(text, "max: LIMTI", "LIMTI"), "sysfs.attributes[6].write.max", "no register named LIMTI");
  });

  it("a writable attribute without write validation", () => {
    const text = edit(miniSpec(), "      write: { parse: u32 }\n", "");
    expectOnly(text, at(text, 'mode: "0644"', '"0644"'), "sysfs.attributes[1].mode", "mode 0644 is writable, so the attribute needs write: { min, max } or { parse: u32 } to validate input");
  });

  it("duplicate DRA names", () => {
    const text = edit(miniSpec(), "dra: { attribute: node }", "dra: { attribute: serial }");
    expectOnly(text, at(text, "attribute: serial", "serial", 1), "sysfs.attributes[7].dra.attribute", 'duplicate DRA attribute name "serial"');
  });

  it("a capacity's attribute is an attribute name like any other: a clash is a duplicate", () => {
    const text = edit(miniSpec(), "dra: { attribute: node }", "dra: { capacity: node, attribute: serial }");
    expectOnly(text, at(text, "attribute: serial", "serial", 1), "sysfs.attributes[7].dra.attribute", 'duplicate DRA attribute name "serial"');
  });

  it("dra bits: true on a register with a field wider than one bit", () => {
    const text = edit(miniSpec(), "      write: { parse: u32 }\n", "      write: { parse: u32 }\n      dra: { attribute: control, bits: true }\n");
    expectOnly(text, at(text, "bits: true", "true"), "sysfs.attributes[1].dra.bits", "bits: true publishes one boolean per single-bit field; CONTROL.MODE is 2 bits wide");
  });

  it("dra bits: true on an attribute that shows one field, or a driver value", () => {
    const field = edit(miniSpec(), "      source: { register: CONTROL, field: MODE }\n      format: decimal\n      mode: \"0444\"", "      source: { register: CONTROL, field: MODE }\n      format: decimal\n      mode: \"0444\"\n      dra: { attribute: mode, bits: true }");
    expectOnly(field, at(field, "bits: true", "true"), "sysfs.attributes[2].dra.bits", "bits: true publishes the fields of a register; mode shows only field MODE");
    const driver = edit(miniSpec(), "dra: { attribute: node }", "dra: { attribute: node, bits: true }");
    expectOnly(driver, at(driver, "bits: true", "true"), "sysfs.attributes[7].dra.bits", "bits: true publishes the fields of a register; node is a driver attribute");
  });

  it("a dra bit name that another DRA attribute already uses", () => {
    let text = edit(miniSpec(), "          - name: ENABLE\n", "          - name: SERIAL\n");
    text = edit(text, "          - name: MODE\n            lsb: 1\n            width_bits: 2", "          - name: MODE\n            lsb: 1\n            width_bits: 1");
    text = edit(text, "      write: { parse: u32 }\n", "      write: { parse: u32 }\n      dra: { attribute: control, bits: true }\n");
    expectOnly(text, at(text, "bits: true", "true"), "sysfs.attributes[1].dra.bits", 'duplicate DRA attribute name "serial"');
  });

  it("a world-writable mode, which the kernel refuses", () => {
    const text = edit(miniSpec(), '      mode: "0644"\n      write: { parse: u32 }', '      mode: "0666"\n      write: { parse: u32 }');
    expectOnly(text, at(text, 'mode: "0666"', '"0666"'), "sysfs.attributes[1].mode", "mode 0666 is world-writable, which the kernel refuses (VERIFY_OCTAL_PERMISSIONS)");
  });
});

describe("what the emitters cannot serve is refused here, with a position", () => {
  const HALF = EXTRA("0x40", "        size_bytes: 2\n        access: RW\n        reset: 0");

  it("a writable attribute on a 1- or 2-byte register (the driver writes whole 32-bit words)", () => {
    const text = miniSpec({ registers: MINI_REGISTERS + HALF, attributes: MINI_ATTRIBUTES + `
    - name: extra
      source: { register: EXTRA }
      format: decimal
      mode: "0644"
      write: { min: 0, max: 1 }` });
    expectOnly(text, at(text, 'mode: "0644"', '"0644"', 2), "sysfs.attributes[8].mode",
      "mode 0644 is writable, but the driver writes only 4- and 8-byte registers (whole 32-bit words); EXTRA is 2 byte(s)");
    // Read-only, the same register is served (register-sizes.test.ts compiles and runs it).
    const readOnly = miniSpec({ registers: MINI_REGISTERS + HALF.replace("access: RW", "access: RO"), attributes: MINI_ATTRIBUTES + `
    - { name: extra, source: { register: EXTRA }, format: decimal, mode: "0444" }` });
    expect(errorsOf(readOnly)).toEqual([]);
  });

  it("a writable field of a register wider than 4 bytes (the driver's read-modify-write is one 32-bit word)", () => {
    const text = miniSpec({
      registers: MINI_REGISTERS + EXTRA("0x40", "        size_bytes: 8\n        access: RW\n        reset: 0\n        fields:\n          - { name: HIGH, lsb: 40, width_bits: 4 }"),
      attributes: MINI_ATTRIBUTES + `
    - name: extra
      source: { register: EXTRA, field: HIGH }
      format: decimal
      mode: "0644"
      write: { min: 0, max: 15 }`,
    });
    expectOnly(text, at(text, 'mode: "0644"', '"0644"', 2), "sysfs.attributes[8].mode",
      "mode 0644 writes field EXTRA.HIGH, but the driver writes fields of 4-byte registers only (one 32-bit read-modify-write); EXTRA is 8 bytes");
  });

  it("dra bits: true on a register wider than 4 bytes (clients mask a 32-bit value)", () => {
    const text = miniSpec({
      registers: MINI_REGISTERS + EXTRA("0x40", "        size_bytes: 8\n        access: RO\n        reset: 0\n        fields:\n          - { name: FLAG, lsb: 33, width_bits: 1 }"),
      attributes: MINI_ATTRIBUTES + `
    - name: extra
      source: { register: EXTRA }
      format: decimal
      mode: "0444"
      dra: { attribute: extra, bits: true }`,
    });
    expectOnly(text, at(text, "dra: { attribute: extra, bits: true }", "true"), "sysfs.attributes[8].dra.bits",
      "bits: true needs a register of at most 4 bytes (clients mask a 32-bit value); EXTRA is 8 bytes");
  });

  it("format string on a register that is not whole 32-bit words", () => {
    const text = miniSpec({ registers: MINI_REGISTERS + HALF, attributes: MINI_ATTRIBUTES + `
    - name: extra
      source: { register: EXTRA }
      format: string
      mode: "0444"` });
    expectOnly(text, at(text, "format: string", "string"), "sysfs.attributes[8].format",
      "format string needs a register of whole 32-bit words, at most 1024 bytes (the driver reads it word by word onto the kernel stack); register EXTRA (2 bytes)");
  });

  it("a register attribute's write bound in a register wider than one 32-bit read", () => {
    const text = edit(miniSpec(), "write: { min: 0, max: LIMIT }", "write: { min: 0, max: SERIAL }");
    expectOnly(text, at(text, "max: SERIAL }", "SERIAL"), "sysfs.attributes[6].write.max", "the driver reads the bound in one 32-bit access; SERIAL is 8 bytes");
  });

  it("an attribute whose Go accessor would clash with the hand-written Device or another attribute", () => {
    const path = withAttribute(`
    - { name: path, source: driver, type: u32, format: decimal, mode: "0444" }`);
    expectOnly(path, at(path, "name: path", "path"), "sysfs.attributes[8].name",
      "attribute path would define Go method Device.Path, which the hand-written Device (clients/go/mockaccel) already has");
    const twins = withAttribute(`
    - { name: ab_c, source: driver, type: u32, format: decimal, mode: "0444" }
    - { name: AB_c, source: driver, type: u32, format: decimal, mode: "0444" }`);
    expectOnly(twins, at(twins, "name: AB_c", "AB_c"), "sysfs.attributes[9].name", "attributes ab_c and AB_c both become Go name AbC");
  });
});

describe("shows: the register a driver attribute prints", () => {
  it("only on a driver attribute, naming a register, once per register", () => {
    const onRegister = edit(miniSpec(), "      source: { register: STATE }\n", "      source: { register: STATE }\n      shows: STATE\n");
    expectOnly(onRegister, at(onRegister, "shows: STATE", "STATE"), "sysfs.attributes[4].shows", "shows is only for driver attributes; a register attribute shows its own register");
    const missing = edit(miniSpec(), "      source: driver\n", "      source: driver\n      shows: LIMITS\n");
    expectOnly(missing, at(missing, "shows: LIMITS", "LIMITS"), "sysfs.attributes[7].shows", "no register named LIMITS");
    const twice = withAttribute(`
    - { name: limit_a, source: driver, shows: LIMIT, type: u32, format: decimal, mode: "0444" }
    - { name: limit_b, source: driver, shows: LIMIT, type: u32, format: decimal, mode: "0444" }`);
    expectOnly(twice, at(twice, "name: limit_b", "LIMIT"), "sysfs.attributes[9].shows", 'duplicate shows of register "LIMIT"');
  });
});
