// packages/server/src/generated/registers.ts: the register table the device server runs on,
// and RegisterBehaviours, one handler per register with a behaviour (docs/architecture.md).
import type { StatementStructures } from "ts-morph";
import type { Emitter } from "./emitter.ts";
import type { DeviceModel, RegisterModel } from "../model/register-model.ts";
import {
  arr,
  banner,
  big,
  bool,
  exportConst,
  exportInterface,
  exportType,
  exportUnion,
  hexBig,
  hexNum,
  nul,
  num,
  obj,
  printStatements,
  raw,
  str,
  type Lit,
} from "./ts-nodes.ts";

export const SERVER_REGISTERS_PATH = "packages/server/src/generated/registers.ts";

const q = (s: string) => JSON.stringify(s);

function registerLit(r: RegisterModel, offsetDigits: number): Lit {
  const writeRange =
    r.writeRange === null
      ? nul
      : obj(
          { min: big(r.writeRange.min), max: typeof r.writeRange.max === "bigint" ? big(r.writeRange.max) : str(r.writeRange.max.register) },
          true,
        );
  return obj({
    name: str(r.name),
    offsetBytes: hexNum(r.offsetBytes, offsetDigits),
    sizeBytes: num(r.sizeBytes),
    access: str(r.access),
    resetValue: r.resetValue === null ? nul : hexBig(r.resetValue),
    source: r.source === null ? nul : str(r.source),
    behaviour: r.behaviour === null ? nul : str(r.behaviour),
    writeRange,
    fields: arr(
      r.fields.map((f) => obj({ name: str(f.name), lsb: num(f.lsb), widthBits: num(f.widthBits), mask: hexBig(f.mask) }, true)),
      r.fields.length <= 1,
    ),
    enumValues: arr(
      r.enumValues.map((e) => obj({ name: str(e.name), value: big(e.value) }, true)),
      r.enumValues.length <= 1,
    ),
  });
}

export function serverRegistersNodes(model: DeviceModel): (string | StatementStructures)[] {
  const bar = model.bars[0]!;
  const regs = bar.registers;
  const behaviourRegs = regs.filter((r) => r.behaviour !== null);
  const pci = model.pci;
  const out: (string | StatementStructures)[] = [];
  const offsetDigits = Math.max(1, (bar.sizeBytes - 1).toString(16).length);

  out.push(exportConst("DEVICE_NAME", str(model.name)));
  out.push(
    exportConst(
      "PCI",
      obj({
        vendorId: hexNum(pci.vendorId, 4),
        pfDeviceId: hexNum(pci.pfDeviceId, 4),
        vfDeviceId: hexNum(pci.vfDeviceId, 4),
        classCode: hexNum(pci.classCode, 6),
        revisionId: hexNum(pci.revisionId, 2),
        subsystemVendorId: hexNum(pci.subsystemVendorId, 4),
        subsystemId: hexNum(pci.subsystemId, 4),
        sriov: obj(
          {
            capabilityOffset: hexNum(pci.sriov.capabilityOffset),
            maxTotalVfs: num(pci.sriov.maxTotalVfs),
            firstVfOffset: num(pci.sriov.firstVfOffset),
            vfStride: num(pci.sriov.vfStride),
          },
          true,
        ),
      }),
      { asConst: true },
    ),
  );
  out.push(exportConst(`${bar.name}_SIZE_BYTES`, num(bar.sizeBytes)));
  out.push(exportUnion("Access", ['"RO"', '"RW"', '"WO"']));
  out.push(exportUnion("RegisterName", regs.map((r) => q(r.name)), "Every register, in offset order."));
  out.push(exportUnion("DeviceConfigName", model.deviceConfig.map((c) => q(c.name))));
  out.push(
    exportInterface("FieldDef", [
      { name: "name", type: "string", readonly: true },
      { name: "lsb", type: "number", readonly: true },
      { name: "widthBits", type: "number", readonly: true },
      { name: "mask", type: "bigint", readonly: true, doc: "Mask in register position." },
    ]),
  );
  out.push(
    exportInterface("EnumValueDef", [
      { name: "name", type: "string", readonly: true },
      { name: "value", type: "bigint", readonly: true },
    ]),
  );
  out.push(
    exportInterface("RegisterDef", [
      { name: "name", type: "RegisterName", readonly: true },
      { name: "offsetBytes", type: "number", readonly: true },
      { name: "sizeBytes", type: "number", readonly: true },
      { name: "access", type: "Access", readonly: true },
      { name: "resetValue", type: "bigint | null", readonly: true, doc: "null when `source` supplies the value (or a command register stores nothing)." },
      { name: "source", type: "DeviceConfigName | null", readonly: true },
      { name: "behaviour", type: '"command" | "notify" | null', readonly: true },
      {
        name: "writeRange",
        type: "{ readonly min: bigint; readonly max: bigint | RegisterName } | null",
        readonly: true,
        doc: "Writes outside are refused; a register name as max means that register's current value.",
      },
      { name: "fields", type: "readonly FieldDef[]", readonly: true },
      { name: "enumValues", type: "readonly EnumValueDef[]", readonly: true },
    ]),
  );
  out.push(
    exportConst(
      "REG",
      obj(regs.map((r) => ({ key: r.name, value: registerLit(r, offsetDigits), ...(r.description ? { doc: r.description } : {}) }))),
      { type: "{ readonly [K in RegisterName]: RegisterDef }" },
    ),
  );
  out.push(
    exportConst("REGISTERS", arr(regs.map((r) => raw(`REG.${r.name}`))), {
      type: "readonly RegisterDef[]",
      doc: "Sorted by offset.",
    }),
  );
  for (const r of regs) {
    if (r.enumValues.length > 0)
      out.push(exportConst(`${r.name}_VALUES`, obj(r.enumValues.map((e) => ({ key: e.name, value: big(e.value) })), true), { asConst: true }));
  }
  for (const r of regs) {
    if (r.fields.length > 0)
      out.push(
        exportConst(
          `${r.name}_FIELDS`,
          obj(r.fields.map((f) => ({ key: f.name, value: obj({ lsb: num(f.lsb), widthBits: num(f.widthBits), mask: hexBig(f.mask) }, true) }))),
          { asConst: true },
        ),
      );
  }
  out.push(
    exportInterface(
      "DeviceConfig",
      model.deviceConfig.map((c) => ({ name: c.name, type: c.type === "uuid" ? "Uint8Array" : "bigint", ...(c.description ? { doc: c.description } : {}) })),
      { doc: "Per-device values a server starts a device with (spec: device_config)." },
    ),
  );
  out.push(
    exportInterface("DeviceConfigDef", [
      { name: "name", type: "DeviceConfigName", readonly: true },
      { name: "type", type: '"uuid" | "u32" | "u64"', readonly: true },
      { name: "defaultPf", type: "bigint | null", readonly: true },
      { name: "defaultVf", type: "bigint | null", readonly: true },
      { name: "requiredPf", type: "boolean", readonly: true },
      { name: "requiredVf", type: "boolean", readonly: true },
      { name: "max", type: "bigint | null", readonly: true },
    ]),
  );
  out.push(
    exportConst(
      "DEVICE_CONFIG",
      arr(
        model.deviceConfig.map((c) =>
          obj(
            {
              name: str(c.name),
              type: str(c.type),
              defaultPf: c.defaultPf === null ? nul : big(c.defaultPf),
              defaultVf: c.defaultVf === null ? nul : big(c.defaultVf),
              requiredPf: bool(c.requiredPf),
              requiredVf: bool(c.requiredVf),
              max: c.max === null ? nul : big(c.max),
            },
            true,
          ),
        ),
      ),
      { type: "readonly DeviceConfigDef[]" },
    ),
  );
  out.push(exportType("CommandHandler", "(value: bigint) => void", "behaviour: command (WO, the value is not stored)."));
  out.push(exportType("NotifyHandler", "(value: bigint, previous: bigint) => void", "behaviour: notify (the value is stored, then the handler is called)."));
  out.push(
    exportInterface(
      "RegisterBehaviours",
      behaviourRegs.map((r) => ({ name: r.name, type: r.behaviour === "command" ? "CommandHandler" : "NotifyHandler" })),
      {
        doc:
          "One handler per register with a behaviour. Adding `behaviour:` to the spec adds a member here,\n" +
          "and the server stops type-checking until it is implemented.",
      },
    ),
  );
  return out;
}

export const emitServerRegisters: Emitter = (model, ctx) => [
  {
    path: SERVER_REGISTERS_PATH,
    content: printStatements([banner(ctx.specPath, "emit-server-registers.ts"), ...serverRegistersNodes(model)]),
  },
];
