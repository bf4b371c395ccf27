// The shape of a topology file (examples/*.yaml): VMs, their NUMA nodes, and on each node the
// physical functions with their virtual functions. Closed objects, so a misspelled key is an
// error at its line rather than a silently ignored setting.
import { Type, type Static } from "@sinclair/typebox";
import { PCI } from "@mock-accel/server";
import { maxPfsPerNumaNode } from "@mock-accel/sysfs-client";

const Closed = { additionalProperties: false } as const;
/** "16G", "512M", "2GiB" or a byte count (checked in full by parseMemorySize). */
const Size = Type.Union([Type.String({ minLength: 1 }), Type.Number()], { description: 'a size: "16G", "512M", "2GiB" or a byte count' });

export const VfSchema = Type.Object(
  {
    uuid: Type.String({ minLength: 1, description: "canonical UUID, or a label that maps to one" }),
    memory: Type.Optional(Size),
  },
  Closed,
);

export const PfSchema = Type.Object(
  {
    uuid: Type.String({ minLength: 1, description: "canonical UUID, or a label that maps to one" }),
    memory: Type.Optional(Size),
    /** Capability names from the spec's CAPABILITIES fields (compute is always set). */
    capabilities: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    fw_version: Type.Optional(Type.String({ pattern: "^\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}$" })),
    /** VFs the PF carries; defaults to the number of `vfs` listed. */
    total_vfs: Type.Optional(Type.Integer({ minimum: 0, maximum: PCI.sriov.maxTotalVfs })),
    vfs: Type.Optional(Type.Array(VfSchema, { maxItems: PCI.sriov.maxTotalVfs })),
  },
  Closed,
);

export const NumaNodeSchema = Type.Object(
  {
    node: Type.Integer({ minimum: 0, maximum: 7 }),
    cpus: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
    memory: Type.Optional(Size),
    // As many as the node's expander has buses for over vfio-user (qemu-args refuses more over proxy).
    pfs: Type.Optional(Type.Array(PfSchema, { maxItems: maxPfsPerNumaNode("vfio-user") })),
  },
  Closed,
);

export const VmSchema = Type.Object(
  {
    name: Type.String({ pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", maxLength: 63 }),
    numa_nodes: Type.Array(NumaNodeSchema, { minItems: 1, maxItems: 8 }),
  },
  Closed,
);

/** More VMs than anyone runs on one host; with the per-VM limits, this bounds the devices. */
export const MAX_VMS = 64;
export const TopologySchema = Type.Object({ vms: Type.Array(VmSchema, { minItems: 1, maxItems: MAX_VMS }) }, Closed);

export type RawTopology = Static<typeof TopologySchema>;
export type RawPf = Static<typeof PfSchema>;
