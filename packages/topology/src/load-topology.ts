// Reads a topology file into a resolved Topology (every device with its id, kind, NUMA node,
// PCI placement and device configuration), or into every error at once with file:line:column.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { Value, ValueErrorType } from "@sinclair/typebox/value";
import { PCI, uuidFromLabelOrCanonical } from "@mock-accel/server";
import { TopologySchema, type RawPf, type RawTopology } from "./topology-schema.ts";
import { formatSourceError, pointerToPath, YamlSource, type SourceError } from "@mock-accel/yaml-source";
import { capabilityBits, parseMemorySize, parseFwVersion } from "./device-values.ts";

export interface TopologyDevice {
  /** Stable id used for socket names and QEMU ids: "vm0-n0-pf0", "vm0-n0-pf0-vf1". */
  id: string;
  vm: string;
  numaNode: number;
  kind: "pf" | "vf";
  /** The uuid field as written: a canonical UUID or a label. */
  uuid: string;
  memorySizeBytes: bigint | null;
  capabilities: bigint;
  fwVersion: bigint | null;
  totalVfs: number;
  vfIndex: number | null;
  /** PCI function within the PF's slot: 0 for the PF, 1..N for its VFs. */
  function: number;
}

export interface TopologyPf {
  pf: TopologyDevice;
  vfs: TopologyDevice[];
}

export interface TopologyNumaNode {
  node: number;
  cpus: number;
  memoryBytes: bigint;
  pfs: TopologyPf[];
}

export interface TopologyVm {
  name: string;
  numaNodes: TopologyNumaNode[];
}

export interface Topology {
  file: string;
  vms: TopologyVm[];
}

export class TopologyError extends Error {
  constructor(readonly errors: SourceError[]) {
    const lines = errors.map(formatSourceError);
    super(errors.length === 1 ? lines[0]! : `${lines.join("\n")}\nInvalid topology: ${errors.length} error(s)`);
    this.name = "TopologyError";
  }
}

/**
 * Largest topology file read. The biggest the schema allows is well under this; a larger file
 * is refused before YAML parsing (which for tens of MB takes minutes and gigabytes).
 */
export const MAX_TOPOLOGY_BYTES = 1 << 20;

export function loadTopologyFile(file: string): Topology {
  const fail = (message: string): never => {
    throw new TopologyError([{ file, line: 1, column: 1, path: "", message }]);
  };
  let text = "";
  try {
    const fd = openSync(file, "r");
    try {
      if (!fstatSync(fd).isFile()) fail("not a regular file");
      // Read at most one byte past the limit: a file growing meanwhile cannot get past it.
      const buf = Buffer.alloc(MAX_TOPOLOGY_BYTES + 1);
      let got = 0;
      for (let n; got < buf.length && (n = readSync(fd, buf, got, buf.length - got, null)) > 0; ) got += n;
      if (got > MAX_TOPOLOGY_BYTES) fail(`larger than ${MAX_TOPOLOGY_BYTES} bytes; a topology file is a few KiB`);
      text = buf.subarray(0, got).toString("utf8");
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if (err instanceof TopologyError) throw err;
    fail(`cannot read: ${(err as Error).message}`);
  }
  return parseTopology(text, file);
}

export function parseTopology(text: string, file: string): Topology {
  if (Buffer.byteLength(text) > MAX_TOPOLOGY_BYTES) {
    throw new TopologyError([{ file, line: 1, column: 1, path: "", message: `larger than ${MAX_TOPOLOGY_BYTES} bytes; a topology file is a few KiB` }]);
  }
  const src = new YamlSource(file, text);
  const syntax = src.syntaxErrors();
  if (syntax.length > 0) throw new TopologyError(syntax);
  const raw: unknown = src.doc.toJS();
  if (!Value.Check(TopologySchema, raw)) {
    const errors = [...Value.Errors(TopologySchema, raw)].map((e) => {
      const segments = pointerToPath(e.path);
      const props = (e.schema as { properties?: Record<string, unknown> }).properties;
      if (e.type === ValueErrorType.ObjectAdditionalProperties && props) {
        // TypeBox names the object; point at the offending key itself.
        return src.error(segments, `unknown key '${segments.at(-1)}' (allowed: ${Object.keys(props).join(", ")})`, "key");
      }
      // A union's own message ("Expected union value") says nothing; its description does.
      const description = (e.schema as { description?: string }).description;
      if (e.type === ValueErrorType.Union && description) return src.error(segments, `expected ${description}`);
      return src.error(segments, e.message);
    });
    throw new TopologyError(dedupe(errors));
  }
  return resolve(src, raw);
}

function dedupe(errors: SourceError[]): SourceError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.path}|${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function resolve(src: YamlSource, raw: RawTopology): Topology {
  const errors: SourceError[] = [];
  const vms: TopologyVm[] = [];
  const vmNames = new Map<string, number>();
  const uuids = new Map<string, string>();

  const checked = <T>(path: (string | number)[], f: () => T): T | null => {
    try {
      return f();
    } catch (err) {
      errors.push(src.error(path, (err as Error).message));
      return null;
    }
  };
  // Keyed by the UUID the device will report: a label and its own canonical UUID are the same
  // device identity, however differently they are written.
  const claimUuid = (path: (string | number)[], uuid: string, id: string) => {
    const key = uuidFromLabelOrCanonical(uuid).canonical;
    const other = uuids.get(key);
    if (other !== undefined) errors.push(src.error(path, `uuid '${uuid}' is already used by ${other} (both are ${key})`));
    else uuids.set(key, id);
  };

  raw.vms.forEach((rawVm, vi) => {
    if (vmNames.has(rawVm.name)) errors.push(src.error(["vms", vi, "name"], `VM name '${rawVm.name}' is already used by vms[${vmNames.get(rawVm.name)}]`));
    vmNames.set(rawVm.name, vi);
    const seenNodes = new Set<number>();
    const numaNodes: TopologyNumaNode[] = [];
    rawVm.numa_nodes.forEach((rawNode, ni) => {
      const base = ["vms", vi, "numa_nodes", ni];
      if (seenNodes.has(rawNode.node)) errors.push(src.error([...base, "node"], `NUMA node ${rawNode.node} is listed twice in VM '${rawVm.name}'`));
      seenNodes.add(rawNode.node);
      const memoryBytes = checked([...base, "memory"], () => parseMemorySize(rawNode.memory ?? "1G")) ?? 0n;
      const pfs: TopologyPf[] = [];
      (rawNode.pfs ?? []).forEach((rawPf: RawPf, pi) => {
        const pfPath = [...base, "pfs", pi];
        const id = `${rawVm.name}-n${rawNode.node}-pf${pi}`;
        const vfList = rawPf.vfs ?? [];
        const totalVfs = rawPf.total_vfs ?? vfList.length;
        if (vfList.length > totalVfs)
          errors.push(src.error([...pfPath, "total_vfs"], `total_vfs is ${totalVfs} but ${vfList.length} vfs are listed`));
        claimUuid([...pfPath, "uuid"], rawPf.uuid, id);
        const pf: TopologyDevice = {
          id,
          vm: rawVm.name,
          numaNode: rawNode.node,
          kind: "pf",
          uuid: rawPf.uuid,
          memorySizeBytes: rawPf.memory === undefined ? null : checked([...pfPath, "memory"], () => parseMemorySize(rawPf.memory!)),
          capabilities: checked([...pfPath, "capabilities"], () => capabilityBits(rawPf.capabilities ?? [])) ?? 1n,
          fwVersion: rawPf.fw_version === undefined ? null : checked([...pfPath, "fw_version"], () => parseFwVersion(rawPf.fw_version!)),
          totalVfs,
          vfIndex: null,
          function: 0,
        };
        const vfs = vfList.map((rawVf, i): TopologyDevice => {
          const vfPath = [...pfPath, "vfs", i];
          const vfId = `${id}-vf${i}`;
          claimUuid([...vfPath, "uuid"], rawVf.uuid, vfId);
          return {
            id: vfId,
            vm: rawVm.name,
            numaNode: rawNode.node,
            kind: "vf",
            uuid: rawVf.uuid,
            memorySizeBytes: rawVf.memory === undefined ? null : checked([...vfPath, "memory"], () => parseMemorySize(rawVf.memory!)),
            capabilities: pf.capabilities,
            fwVersion: pf.fwVersion,
            totalVfs: 0,
            vfIndex: i,
            function: PCI.sriov.firstVfOffset + i * PCI.sriov.vfStride,
          };
        });
        pfs.push({ pf, vfs });
      });
      numaNodes.push({ node: rawNode.node, cpus: rawNode.cpus ?? 1, memoryBytes, pfs });
    });
    vms.push({ name: rawVm.name, numaNodes });
  });
  if (errors.length > 0) throw new TopologyError(errors);
  return { file: src.file, vms };
}

/** `--vm` names no VM of the topology, or is needed and missing: a usage error, not a file error. */
export class VmNotFoundError extends Error {
  override name = "VmNotFoundError";
}

export function findVm(topology: Topology, name: string | undefined): TopologyVm {
  if (name === undefined) {
    if (topology.vms.length === 1) return topology.vms[0]!;
    throw new VmNotFoundError(`${topology.file} has ${topology.vms.length} VMs (${topology.vms.map((v) => v.name).join(", ")}); choose one with --vm`);
  }
  const vm = topology.vms.find((v) => v.name === name);
  if (!vm) throw new VmNotFoundError(`${topology.file} has no VM named '${name}' (it has: ${topology.vms.map((v) => v.name).join(", ")})`);
  return vm;
}

export function allDevices(vm: TopologyVm): TopologyDevice[] {
  return vm.numaNodes.flatMap((n) => n.pfs.flatMap((p) => [p.pf, ...p.vfs]));
}
