// The shape of spec/registers.yaml as a TypeBox schema. `additionalProperties: false`
// everywhere, so a misspelled key is an error at its line instead of being ignored.
import { Type, type Static } from "@sinclair/typebox";

const Closed = { additionalProperties: false } as const;
const Ident = Type.String({ minLength: 1 });
const Int = Type.Integer();
const UInt = Type.Integer({ minimum: 0 });
const Description = Type.Optional(Type.String());

export const FieldSchema = Type.Object(
  { name: Ident, lsb: UInt, width_bits: Type.Integer({ minimum: 1, maximum: 64 }), description: Description },
  Closed,
);

export const EnumValueSchema = Type.Object({ name: Ident, value: UInt, description: Description }, Closed);

export const WriteRangeSchema = Type.Object({ min: UInt, max: Type.Union([UInt, Ident]) }, Closed);

export const RegisterSchema = Type.Object(
  {
    name: Ident,
    offset: UInt,
    size_bytes: Type.Integer({ minimum: 1 }),
    access: Type.Union([Type.Literal("RO"), Type.Literal("RW"), Type.Literal("WO")]),
    reset: Type.Optional(UInt),
    source: Type.Optional(Ident),
    behaviour: Type.Optional(Type.Union([Type.Literal("command"), Type.Literal("notify")])),
    write_range: Type.Optional(WriteRangeSchema),
    fields: Type.Optional(Type.Array(FieldSchema)),
    enum: Type.Optional(Type.Array(EnumValueSchema)),
    description: Description,
  },
  Closed,
);

export const BarSchema = Type.Object(
  {
    name: Ident,
    index: Type.Integer({ minimum: 0, maximum: 5 }),
    size_bytes: Type.Integer({ minimum: 16 }),
    hole_reads: Type.Literal("zero"),
    hole_writes: Type.Literal("ignore_and_log"),
    read_only_writes: Type.Literal("ignore_and_log"),
    write_only_reads: Type.Literal("zero"),
    registers: Type.Array(RegisterSchema),
  },
  Closed,
);

export const DeviceConfigSchema = Type.Object(
  {
    name: Ident,
    type: Type.Union([Type.Literal("uuid"), Type.Literal("u32"), Type.Literal("u64")]),
    required: Type.Optional(Type.Boolean()),
    required_pf: Type.Optional(Type.Boolean()),
    required_vf: Type.Optional(Type.Boolean()),
    default_pf: Type.Optional(UInt),
    default_vf: Type.Optional(UInt),
    max: Type.Optional(UInt),
    description: Description,
  },
  Closed,
);

const RegisterSource = Type.Object({ register: Ident, field: Type.Optional(Ident) }, Closed);

export const AttributeSchema = Type.Object(
  {
    name: Ident,
    source: Type.Union([Type.Literal("driver"), RegisterSource]),
    type: Type.Optional(
      Type.Union([Type.Literal("u32"), Type.Literal("s32"), Type.Literal("u64"), Type.Literal("bool")]),
    ),
    // A driver attribute that prints a register's value under another name (sriov_totalvfs
    // shows SRIOV_TOTAL_VFS): clients check a write bounded by that register against it.
    shows: Type.Optional(Ident),
    format: Type.Union([
      Type.Literal("decimal"),
      Type.Literal("hex32"),
      Type.Literal("uuid"),
      Type.Literal("semver"),
      Type.Literal("enum"),
      Type.Literal("string"),
      Type.Literal("bool"),
    ]),
    // Octal as a quoted string ("0644"): YAML 1.2 reads an unquoted 0644 as decimal 644.
    mode: Type.String({ pattern: "^0[0-7]{3}$" }),
    functions: Type.Optional(Type.Union([Type.Literal("all"), Type.Literal("pf"), Type.Literal("vf")])),
    write: Type.Optional(
      Type.Union([
        Type.Object({ min: Int, max: Type.Union([Int, Ident]) }, Closed),
        Type.Object({ parse: Type.Literal("u32") }, Closed),
      ]),
    ),
    dra: Type.Optional(
      Type.Union([
        // bits: true also publishes each field of the register as a boolean attribute (CEL has
        // no bitwise operators, so a claim cannot test a bit of an int attribute).
        Type.Object({ attribute: Ident, bits: Type.Optional(Type.Boolean()) }, Closed),
        // attribute beside capacity also publishes the value as an int attribute (the old
        // mock-device driver's `memory`, which claims written for it select on).
        Type.Object({ capacity: Ident, attribute: Type.Optional(Ident) }, Closed),
      ]),
    ),
    description: Description,
  },
  Closed,
);

export const SpecSchema = Type.Object(
  {
    spec_version: Type.Literal(1),
    device: Type.Object({ name: Ident, description: Description }, Closed),
    pci: Type.Object(
      {
        vendor_id: Type.Integer({ minimum: 0, maximum: 0xffff }),
        pf_device_id: Type.Integer({ minimum: 0, maximum: 0xffff }),
        vf_device_id: Type.Integer({ minimum: 0, maximum: 0xffff }),
        class_code: Type.Integer({ minimum: 0, maximum: 0xffffff }),
        revision_id: Type.Integer({ minimum: 0, maximum: 0xff }),
        subsystem_vendor_id: Type.Integer({ minimum: 0, maximum: 0xffff }),
        subsystem_id: Type.Integer({ minimum: 0, maximum: 0xffff }),
        sriov: Type.Object(
          {
            capability_offset: Type.Integer({ minimum: 0x100, maximum: 0xffc }),
            max_total_vfs: Type.Integer({ minimum: 0, maximum: 7 }),
            first_vf_offset: Type.Integer({ minimum: 1 }),
            vf_stride: Type.Integer({ minimum: 1 }),
          },
          Closed,
        ),
      },
      Closed,
    ),
    device_config: Type.Array(DeviceConfigSchema),
    bars: Type.Array(BarSchema, { minItems: 1 }),
    // The firmware wordlist the driver loads with request_firmware, one word per line.
    firmware: Type.Object({ file: Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9._-]*$" }), words: Type.Integer({ minimum: 1 }) }, Closed),
    sysfs: Type.Object(
      {
        class: Ident,
        // Literal letters around the numbers, so a name parses back unambiguously.
        device_names: Type.Object(
          { pf: Type.String({ pattern: "^[a-z][a-z_-]*\\{pf\\}$" }), vf: Type.String({ pattern: "^[a-z][a-z_-]*\\{pf\\}[a-z_-]+\\{vf\\}$" }) },
          Closed,
        ),
        attributes: Type.Array(AttributeSchema),
      },
      Closed,
    ),
  },
  Closed,
);

export type RawSpec = Static<typeof SpecSchema>;
export type RawRegister = Static<typeof RegisterSchema>;
export type RawAttribute = Static<typeof AttributeSchema>;
