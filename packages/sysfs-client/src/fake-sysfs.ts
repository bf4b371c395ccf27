// A fake sysfs tree with the layout the mock-accel kernel driver creates (docs/architecture.md,
// "sysfs layout"), so DRA driver authors can test without a VM:
//
//   <root>/devices/pci0000:10/0000:10:00.0/0000:11:00.0/    PCI function: vendor device class ... numa_node, driver ->
//   <root>/devices/.../0000:11:00.0/mock-accel/mock0/       class device: generated attributes, dev, uevent, device ->, subsystem ->
//   <root>/class/mock-accel/mock0 -> ../../devices/.../mock-accel/mock0
//   <root>/bus/pci/devices/0000:11:00.0 -> ../../../devices/.../0000:11:00.0
//   <root>/bus/pci/drivers/mock-accel/0000:11:00.0 -> ../../../../devices/.../0000:11:00.0
//
// Attributes come from the generated spec (which functions show them, their text format), so
// the tree follows spec/registers.yaml. The handle's helpers do what the kernel would do.
import { chmod, mkdir, readFile, rename, rm, rmdir, stat, symlink, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { Value } from "@sinclair/typebox/value";
import {
  ATTRIBUTE_NAMES,
  ATTRIBUTES,
  DEVICE_CONFIG_DEFAULTS,
  FIRMWARE,
  FW_VERSION_FIELDS,
  PCI_IDS,
  SRIOV,
  SYSFS_CLASS,
  type AttributeName,
  type AttributeSpec,
  type AttributeTypes,
  type SemVer,
} from "./generated/attributes.ts";
import { isVisibleOn, type DeviceKind } from "./attribute-io.ts";
import { parseDeviceName, pfDeviceName, vfDeviceName } from "./device-names.ts";
import { uuidFromLabelOrCanonical } from "./device-uuid.ts";
import { guestPfPciPath } from "./guest-pci-buses.ts";
import { formatPciAddress, parsePciAddress } from "./pci-address.ts";

/** Values of any attribute, for the ones a topology has no field for (status, passphrase, ...). */
export type FakeAttributeValues = { [N in AttributeName]?: AttributeTypes[N] };

export interface FakeVf {
  /**
   * A canonical UUID, or a label that maps to one as the device server maps `-u LABEL`
   * (uuidFromLabelOrCanonical). Default: the VF's name as the label.
   */
  uuid?: string;
  /** Bytes. Default 2 GiB (spec device_config memory_size default_vf). */
  memorySize?: bigint;
  /** Default 0x1 (compute). */
  capabilities?: number;
  /** Default: the PF's. */
  fwVersion?: SemVer | string;
  attributes?: FakeAttributeValues;
}

export interface FakePf {
  /**
   * Class name. Default `mock<N>` (spec sysfs.device_names), N counting PFs in topology order
   * (the driver's IDA). A PF with VFs needs a name of that form: its VFs' names extend it.
   */
  name?: string;
  /**
   * A canonical UUID, or a label that maps to one as the device server maps `-u LABEL`
   * (uuidFromLabelOrCanonical). Default: the PF's name as the label.
   */
  uuid?: string;
  /** Bytes. Default 16 GiB (spec device_config memory_size default_pf). */
  memorySize?: bigint;
  /** Default 0. Picks the pxb-pcie expander: bus 0x10 for node 0, 0x20 for node 1, ... -1: no NUMA (pci0000:00). */
  numaNode?: number;
  /** Default 0x1 (compute). */
  capabilities?: number;
  /** Default 1.2.0. */
  fwVersion?: SemVer | string;
  /** VFs the PF carries (PCI functions 1..N of its slot, present from boot). Default 0, at most 7. */
  totalVfs?: number;
  /** VFs enabled at start (shown in the class). Default 0. */
  enabledVfs?: number;
  /** Per-VF overrides, by index. */
  vfs?: FakeVf[];
  /**
   * The PF's directory under `<root>/devices`, given explicitly, e.g.
   * "pci0000:10/0000:10:00.0/0000:11:00.0" (must end at function 0). Default: computed like
   * the guest `mock-accel qemu-args` wires (see FakeSysfsOptions.transport).
   */
  pciPath?: string;
  attributes?: FakeAttributeValues;
}

/** A topology: the PFs of one guest, in probe order. */
export type FakeTopology = readonly FakePf[];

export interface FakeSysfsOptions {
  /**
   * How computed PCI paths look. "vfio-user" (default): each PF behind its own pcie-root-port
   * of its node's pxb-pcie, at slot 0 of the secondary bus. "proxy": a pcie-pci-bridge behind
   * each root port, the device at slot 1 (x-pci-proxy-dev is conventional PCI).
   */
  transport?: "vfio-user" | "proxy";
  /** Character-device major in `dev`/`uevent`. Default 240. */
  major?: number;
}

/** One PCI function of the fake guest. */
export interface FakeFunction {
  readonly name: string;
  readonly kind: DeviceKind;
  readonly pciAddress: string;
  /** PCI function directory. */
  readonly pciPath: string;
  /** Class device directory (exists only while the driver shows the device). */
  readonly classPath: string;
  readonly vfIndex: number | null;
}

export interface FakeSysfs {
  /** Pass as `new MockAccelSysfs({ root })`. */
  readonly root: string;
  /** Every PCI function (PFs and all their VFs, shown or not), in creation order. */
  readonly functions: readonly FakeFunction[];
  /** The function called `name` (a VF's name exists even while it is disabled). */
  fn(name: string): FakeFunction;
  /** Whether the driver currently shows `name` in the class. */
  isShown(name: string): boolean;
  /** Set an attribute's value as the kernel would show it (the spec's format). */
  setAttribute<N extends AttributeName>(device: string, attribute: N, value: AttributeTypes[N]): Promise<void>;
  /** Put arbitrary text in an attribute file (to test parse errors). */
  setRawAttribute(device: string, attribute: AttributeName, text: string): Promise<void>;
  /** Make writes to the attribute fail with EACCES, as sysfs does for a read-only attribute. */
  rejectWrites(device: string, attribute: AttributeName): Promise<void>;
  /** What the driver does when `sriov_numvfs` becomes n: show VFs 0..n-1, remove the others. */
  enableVfs(pf: string, n: number): Promise<void>;
  /** Act on `sriov_numvfs` values written into the tree (e.g. by the client), like the driver's store. */
  applyWrites(): Promise<void>;
  /** Hot-add a PF (and its VFs' PCI functions); resolves to its name. */
  addDevice(pf: FakePf): Promise<string>;
  /** Remove a device from the class (a PF takes its VFs with it), as on driver unbind. `pci: true` also unplugs the PCI functions. */
  removeDevice(name: string, options?: { pci?: boolean }): Promise<void>;
  /** Remove the whole class (`rmmod mock-accel`); `loadDriver()` brings every device back. */
  unloadDriver(): Promise<void>;
  loadDriver(): Promise<void>;
  /** Delete everything this fake wrote. */
  cleanup(): Promise<void>;
}

/** A device_config default the spec must give (a fake device needs a value). */
function configDefault(name: keyof typeof DEVICE_CONFIG_DEFAULTS, kind: DeviceKind): bigint {
  const v = DEVICE_CONFIG_DEFAULTS[name][kind];
  if (v === null) throw new Error(`spec/registers.yaml: device_config ${name} has no default_${kind}; the fake sysfs needs one`);
  return v;
}

function semverOf(raw: bigint): SemVer {
  const part = (f: { lsb: number; mask: number }) => (Number(raw) & f.mask) >>> f.lsb;
  return { major: part(FW_VERSION_FIELDS.MAJOR), minor: part(FW_VERSION_FIELDS.MINOR), patch: part(FW_VERSION_FIELDS.PATCH) };
}

// Defaults are device_config's in spec/registers.yaml, through the generated client.
const PF_MEMORY_BYTES = configDefault("memory_size", "pf");
const VF_MEMORY_BYTES = configDefault("memory_size", "vf");
const PF_CAPABILITIES = Number(configDefault("capabilities", "pf"));
const VF_CAPABILITIES = Number(configDefault("capabilities", "vf"));
const DEFAULT_FW: SemVer = semverOf(configDefault("fw_version", "pf"));
const MAX_TOTAL_VFS = SRIOV.maxTotalVfs;
/** PCI function of VF `i` when its PF is function 0 (the SR-IOV capability's offset and stride). */
const vfFunction = (i: number) => SRIOV.firstVfOffset + i * SRIOV.vfStride;
/** What a freshly reset device shows: every attribute whose register has a constant reset. */
const RESET_VALUES: FakeAttributeValues = Object.fromEntries(
  ATTRIBUTE_NAMES.flatMap((n) => (ATTRIBUTES[n].reset === null ? [] : [[n, ATTRIBUTES[n].reset]])),
);
/** QEMU's pcie-root-port and pcie-pci-bridge, as the guest kernel shows them. */
const REDHAT_VENDOR = 0x1b36;
const ROOT_PORT_DEVICE = 0x000c;
const PCI_BRIDGE_DEVICE = 0x000e;
const BRIDGE_CLASS = 0x060400;

interface FunctionState extends FakeFunction {
  /** Text of each attribute file, as the kernel would show it; updated from the tree before removal. */
  texts: Map<AttributeName, string>;
  minor: number;
  numaNode: number;
  /** The driver is bound to this function. */
  bound: boolean;
}

interface PfState {
  pf: FunctionState;
  vfs: FunctionState[];
  enabled: number;
  unplugged: boolean;
}

const hex = (v: number, width: number) => `0x${v.toString(16).padStart(width, "0")}`;

/** A topology's uuid (canonical, or a label) or else the device's name, by the one UUID rule. */
function deviceUuid(label: string, where: string): string {
  try {
    return uuidFromLabelOrCanonical(label).canonical;
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`);
  }
}

function toSemVer(v: SemVer | string, where: string): SemVer {
  if (typeof v !== "string") return v;
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(v);
  if (!m) throw new Error(`${where}: fwVersion ${JSON.stringify(v)} is not M.m.p`);
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

function spec<N extends AttributeName>(name: N): AttributeSpec<N> {
  // The mapped type indexes to AttributeSpec<N>; TypeScript cannot see that through a generic N.
  return ATTRIBUTES[name] as unknown as AttributeSpec<N>;
}

/** Text for an attribute the topology says nothing about (one a spec extension added). */
function neutralText(s: AttributeSpec<AttributeName>): string {
  switch (s.textFormat) {
    case "hex32":
      return "0x00000000\n";
    case "uuid":
      return "00000000-0000-0000-0000-000000000000\n";
    case "semver":
      return "0.0.0\n";
    case "string":
      return "\n";
    case "enum": {
      const first = (s.schema as { anyOf?: { const?: unknown }[] }).anyOf?.[0]?.const;
      return `${typeof first === "string" ? first : "unknown"}\n`;
    }
    default:
      return "0\n";
  }
}

/** Why a topology value cannot be shown by the driver (the attribute's schema), or null. */
function valueProblem(s: AttributeSpec<AttributeName>, value: unknown): string | null {
  if (Value.Check(s.schema, value)) return null;
  return [...Value.Errors(s.schema, value)].map((e) => e.message).join("; ") || "does not match the spec's schema";
}

const describe = (v: unknown) => (typeof v === "bigint" ? `${v}n` : JSON.stringify(v));

function formatValue<N extends AttributeName>(name: N, value: AttributeTypes[N]): string {
  return spec(name).format(value);
}

export async function createFakeSysfs(dir: string, topology: FakeTopology, options: FakeSysfsOptions = {}): Promise<FakeSysfs> {
  const fake = new FakeTree(dir, options);
  try {
    await fake.init();
    for (const [i, pf] of topology.entries()) await fake.add(pf, `topology[${i}]`);
  } catch (err) {
    await fake.cleanup();
    throw err;
  }
  return fake;
}

class FakeTree implements FakeSysfs {
  readonly root: string;
  private readonly transport: "vfio-user" | "proxy";
  private readonly major: number;
  private readonly pfs: PfState[] = [];
  private readonly byName = new Map<string, { state: FunctionState; owner: PfState }>();
  private readonly slotsByNode = new Map<number, number>();
  private nextPfNumber = 0;
  private nextMinor = 0;
  private driverLoaded = true;

  constructor(dir: string, options: FakeSysfsOptions) {
    this.root = dir;
    this.transport = options.transport ?? "vfio-user";
    this.major = options.major ?? 240;
  }

  get functions(): readonly FakeFunction[] {
    return this.pfs.filter((p) => !p.unplugged).flatMap((p) => [p.pf, ...p.vfs].map(publicView));
  }

  private get classDir(): string {
    return join(this.root, "class", SYSFS_CLASS);
  }
  private get driverDir(): string {
    return join(this.root, "bus", "pci", "drivers", SYSFS_CLASS);
  }

  async init(): Promise<void> {
    await mkdir(this.classDir, { recursive: true });
    await mkdir(this.driverDir, { recursive: true });
    await mkdir(join(this.root, "bus", "pci", "devices"), { recursive: true });
    await mkdir(join(this.root, "devices"), { recursive: true });
  }

  fn(name: string): FakeFunction {
    return publicView(this.lookup(name).state);
  }

  isShown(name: string): boolean {
    const { state, owner } = this.lookup(name);
    return this.shown(state, owner);
  }

  private shown(state: FunctionState, owner: PfState): boolean {
    if (!this.driverLoaded || owner.unplugged || !owner.pf.bound || !state.bound) return false;
    return state.kind === "pf" || state.vfIndex! < owner.enabled;
  }

  private lookup(name: string): { state: FunctionState; owner: PfState } {
    const found = this.byName.get(name);
    if (!found || found.owner.unplugged) throw new Error(`fake sysfs: no device '${name}' (have ${[...this.byName.keys()].join(", ") || "none"})`);
    return found;
  }

  // ---- building ----------------------------------------------------------------------------

  async add(pf: FakePf, where: string): Promise<string> {
    const name = pf.name ?? pfDeviceName(this.nextPfNumber);
    this.nextPfNumber += 1;
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`${where}.name: ${JSON.stringify(name)} is not a usable device name`);
    if (this.byName.has(name)) throw new Error(`${where}.name: '${name}' is already in the tree`);
    const totalVfs = pf.totalVfs ?? 0;
    if (!Number.isInteger(totalVfs) || totalVfs < 0 || totalVfs > MAX_TOTAL_VFS) throw new Error(`${where}.totalVfs: ${totalVfs} is not 0..${MAX_TOTAL_VFS}`);
    const enabled = pf.enabledVfs ?? 0;
    if (!Number.isInteger(enabled) || enabled < 0 || enabled > totalVfs) throw new Error(`${where}.enabledVfs: ${enabled} is not 0..totalVfs (${totalVfs})`);
    // The driver names VFs after their PF's number (mock<N>_vf<i>), so a PF with VFs needs a name it gives.
    const pfNumber = parseDeviceName(name)?.pf ?? null;
    if (totalVfs > 0 && (pfNumber === null || parseDeviceName(name)!.vf !== null))
      throw new Error(`${where}.name: '${name}' is not a PF name the driver gives (${pfDeviceName(0)}, ${pfDeviceName(1)}, ...), which its VFs' names extend`);
    if ((pf.vfs?.length ?? 0) > totalVfs) throw new Error(`${where}.vfs: ${pf.vfs!.length} entries but totalVfs is ${totalVfs}`);
    const numaNode = pf.numaNode ?? 0;
    if (!Number.isInteger(numaNode) || numaNode < -1) throw new Error(`${where}.numaNode: ${numaNode} is not -1 or a node number`);
    const fw = toSemVer(pf.fwVersion ?? DEFAULT_FW, where);

    const pfPath = pf.pciPath !== undefined ? this.explicitPath(pf.pciPath, where) : this.computedPath(numaNode, where);
    const pfAddress = pfPath.at(-1)!;
    const parts = parsePciAddress(pfAddress)!;
    const parentRel = pfPath.slice(0, -1);
    await this.writeBridges(parentRel, numaNode);

    const mk = (kind: DeviceKind, fnName: string, fn: number, vfIndex: number | null, values: FakeAttributeValues): FunctionState => {
      for (const [n, v] of Object.entries(values) as [AttributeName, unknown][]) {
        const problem = Object.hasOwn(ATTRIBUTES, n) ? valueProblem(spec(n), v) : "not an attribute in spec/registers.yaml";
        if (problem) throw new Error(`${where}${kind === "vf" ? `.vfs[${vfIndex}]` : ""}: ${n} = ${describe(v)}: ${problem}`);
      }
      const pciAddress = formatPciAddress({ ...parts, fn });
      const pciPath = join(this.root, "devices", ...parentRel, pciAddress);
      const texts = new Map<AttributeName, string>();
      for (const n of ATTRIBUTE_NAMES) {
        if (!isVisibleOn(n, kind)) continue;
        const s = spec(n);
        const v = values[n];
        texts.set(n, !s.readable ? "" : v !== undefined ? formatValue(n, v) : neutralText(s));
      }
      return { name: fnName, kind, pciAddress, pciPath, classPath: join(pciPath, SYSFS_CLASS, fnName), vfIndex, texts, minor: this.nextMinor++, numaNode, bound: true };
    };
    const common = (uuid: string, memory: bigint, caps: number, fwv: SemVer): FakeAttributeValues => ({
      ...RESET_VALUES,
      uuid,
      memory_size: memory,
      capabilities: caps,
      numa_node: numaNode,
      fw_version: fwv,
      wordlist_loaded: true,
      wordlist_size: FIRMWARE.words,
    });
    const pfState = mk("pf", name, 0, null, {
      ...common(deviceUuid(pf.uuid ?? name, `${where}.uuid`), pf.memorySize ?? PF_MEMORY_BYTES, pf.capabilities ?? PF_CAPABILITIES, fw),
      sriov_totalvfs: totalVfs,
      sriov_numvfs: enabled,
      ...pf.attributes,
    });
    const vfs: FunctionState[] = [];
    for (let i = 0; i < totalVfs; i++) {
      const o = pf.vfs?.[i] ?? {};
      const vfName = vfDeviceName(pfNumber!, i);
      const vfFw = toSemVer(o.fwVersion ?? fw, `${where}.vfs[${i}]`);
      vfs.push(mk("vf", vfName, vfFunction(i), i, {
        ...common(deviceUuid(o.uuid ?? vfName, `${where}.vfs[${i}].uuid`), o.memorySize ?? VF_MEMORY_BYTES, o.capabilities ?? VF_CAPABILITIES, vfFw),
        vf_index: i,
        ...o.attributes,
      }));
    }
    const owner: PfState = { pf: pfState, vfs, enabled, unplugged: false };
    for (const f of [pfState, ...vfs]) {
      if (this.byName.has(f.name)) throw new Error(`${where}: device name '${f.name}' is already in the tree`);
    }
    this.pfs.push(owner);
    for (const f of [pfState, ...vfs]) this.byName.set(f.name, { state: f, owner });
    await Promise.all([pfState, ...vfs].map((f) => this.writePciFunction(f, numaNode)));
    await Promise.all([pfState, ...vfs].filter((f) => this.shown(f, owner)).map((f) => this.writeClassDevice(f)));
    return name;
  }

  private explicitPath(pciPath: string, where: string): string[] {
    const segments = pciPath.split("/").filter((s) => s !== "");
    if (!/^pci[0-9a-f]{4}:[0-9a-f]{2}$/.test(segments[0] ?? "")) throw new Error(`${where}.pciPath: must start with the root complex, e.g. pci0000:10 (got ${JSON.stringify(pciPath)})`);
    const fns = segments.slice(1);
    if (fns.length === 0 || !fns.every((s) => parsePciAddress(s))) throw new Error(`${where}.pciPath: after the root complex every segment must be a PCI address like 0000:11:00.0 (got ${JSON.stringify(pciPath)})`);
    if (parsePciAddress(fns.at(-1)!)!.fn !== 0) throw new Error(`${where}.pciPath: the PF must be function 0 (VFs take functions ${vfFunction(0)}..${vfFunction(MAX_TOTAL_VFS - 1)} of its slot)`);
    const taken = this.pfs.find((p) => !p.unplugged && relative(join(this.root, "devices"), p.pf.pciPath) === segments.join("/"));
    if (taken) throw new Error(`${where}.pciPath: ${pciPath} is already '${taken.pf.name}'`);
    return segments;
  }

  /** Where `mock-accel qemu-args` puts the next PF of a node, as the guest kernel numbers it. */
  private computedPath(numaNode: number, where: string): string[] {
    const k = this.slotsByNode.get(numaNode) ?? 0;
    this.slotsByNode.set(numaNode, k + 1);
    try {
      return guestPfPciPath(numaNode, k, this.transport);
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}; give pciPath explicitly`);
    }
  }

  /** Root ports and bridges above the device, with the IDs QEMU gives them. */
  private async writeBridges(parentRel: string[], numaNode: number): Promise<void> {
    for (let i = 1; i < parentRel.length; i++) {
      const address = parentRel[i]!;
      const path = join(this.root, "devices", ...parentRel.slice(0, i + 1));
      if (await exists(path)) continue;
      await mkdir(path, { recursive: true });
      await this.writePciIdentity(path, {
        address,
        vendor: REDHAT_VENDOR,
        device: i === 1 ? ROOT_PORT_DEVICE : PCI_BRIDGE_DEVICE,
        classCode: BRIDGE_CLASS,
        revision: 0,
        subsystemVendor: 0,
        subsystemDevice: 0,
        numaNode,
      });
      await this.link(join(this.root, "bus", "pci", "devices", address), path);
    }
  }

  private async writePciIdentity(path: string, id: PciIdentity): Promise<void> {
    await writeMode(join(path, "uevent"), pciUevent(id, null), 0o644);
    const files: [string, string][] = [
      ["vendor", hex(id.vendor, 4)],
      ["device", hex(id.device, 4)],
      ["class", hex(id.classCode, 6)],
      ["subsystem_vendor", hex(id.subsystemVendor, 4)],
      ["subsystem_device", hex(id.subsystemDevice, 4)],
      ["revision", hex(id.revision, 2)],
      ["numa_node", String(id.numaNode)],
    ];
    await Promise.all(files.map(([f, text]) => writeMode(join(path, f), `${text}\n`, 0o444)));
  }

  private async writePciFunction(f: FunctionState, numaNode: number): Promise<void> {
    await mkdir(f.pciPath, { recursive: true });
    await this.writePciIdentity(f.pciPath, mockIdentity(f, numaNode));
    await this.link(join(this.root, "bus", "pci", "devices", f.pciAddress), f.pciPath);
    if (this.driverLoaded) await this.bindDriver(f);
  }

  private async bindDriver(f: FunctionState): Promise<void> {
    await this.link(join(f.pciPath, "driver"), this.driverDir);
    await this.link(join(this.driverDir, f.pciAddress), f.pciPath);
    await writeMode(join(f.pciPath, "uevent"), pciUevent(mockIdentity(f, f.numaNode), SYSFS_CLASS), 0o644);
  }

  private async unbindDriver(f: FunctionState): Promise<void> {
    await rm(join(f.pciPath, "driver"), { force: true });
    await rm(join(this.driverDir, f.pciAddress), { force: true });
    if (await exists(f.pciPath)) await writeMode(join(f.pciPath, "uevent"), pciUevent(mockIdentity(f, f.numaNode), null), 0o644);
  }

  /** Attributes first, the class link last: a concurrent discover never sees half a device. */
  private async writeClassDevice(f: FunctionState): Promise<void> {
    await mkdir(f.classPath, { recursive: true });
    await Promise.all(
      [...f.texts].map(([n, text]) => writeMode(join(f.classPath, n), text, ATTRIBUTES[n].mode)),
    );
    await writeMode(join(f.classPath, "dev"), `${this.major}:${f.minor}\n`, 0o444);
    await writeMode(join(f.classPath, "uevent"), `MAJOR=${this.major}\nMINOR=${f.minor}\nDEVNAME=${f.name}\n`, 0o644);
    await this.link(join(f.classPath, "device"), f.pciPath);
    await this.link(join(f.classPath, "subsystem"), this.classDir);
    await this.link(join(this.classDir, f.name), f.classPath);
  }

  /** Class link first, then the directory; attribute text is kept for when it comes back. */
  private async removeClassDevice(f: FunctionState): Promise<void> {
    if (!(await exists(f.classPath))) return;
    await rm(join(this.classDir, f.name), { force: true });
    for (const n of f.texts.keys()) {
      if (!ATTRIBUTES[n].readable) continue;
      try {
        f.texts.set(n, await readFile(join(f.classPath, n), "utf8"));
      } catch {
        // A file someone deleted keeps its last known text.
      }
    }
    await rm(f.classPath, { recursive: true, force: true });
    await rmdir(dirname(f.classPath)).catch(() => undefined);
  }

  /** Relative like kernfs makes them: up to the target's parent, then its name (`device -> ../../../0000:11:00.0`). */
  private async link(at: string, target: string): Promise<void> {
    await rm(at, { force: true });
    await symlink(join(relative(dirname(at), dirname(target)), basename(target)), at);
  }

  // ---- what the kernel does ----------------------------------------------------------------

  async setAttribute<N extends AttributeName>(device: string, attribute: N, value: AttributeTypes[N]): Promise<void> {
    const problem = valueProblem(spec(attribute), value);
    if (problem) throw new Error(`fake sysfs: ${device} ${attribute} = ${describe(value)}: ${problem} (setRawAttribute writes any text)`);
    await this.setRawAttribute(device, attribute, formatValue(attribute, value));
  }

  async setRawAttribute(device: string, attribute: AttributeName, text: string): Promise<void> {
    const { state, owner } = this.lookup(device);
    if (!state.texts.has(attribute)) throw new Error(`fake sysfs: '${device}' is a ${state.kind.toUpperCase()}; the driver does not show '${attribute}' on it`);
    state.texts.set(attribute, text);
    if (!this.shown(state, owner)) return;
    const path = join(state.classPath, attribute);
    const mode = (await stat(path).catch(() => null))?.mode ?? ATTRIBUTES[attribute].mode;
    // Through a temporary file and rename, so a reader never sees a half-written value.
    const tmp = `${path}.fake-tmp`;
    await writeMode(tmp, text, mode & 0o777);
    await rename(tmp, path);
  }

  async rejectWrites(device: string, attribute: AttributeName): Promise<void> {
    const { state, owner } = this.lookup(device);
    if (!this.shown(state, owner)) throw new Error(`fake sysfs: '${device}' is not shown in the class`);
    const path = join(state.classPath, attribute);
    await chmod(path, (await stat(path)).mode & 0o555);
  }

  async enableVfs(pf: string, n: number): Promise<void> {
    const { state, owner } = this.lookup(pf);
    if (state.kind !== "pf") throw new Error(`fake sysfs: '${pf}' is a VF; only a PF enables VFs`);
    if (!Number.isInteger(n) || n < 0 || n > owner.vfs.length) throw new Error(`fake sysfs: ${n} VFs for '${pf}': not 0..${owner.vfs.length} (sriov_totalvfs)`);
    owner.enabled = n;
    await this.setRawAttribute(pf, "sriov_numvfs", formatValue("sriov_numvfs", n));
    if (!this.shown(state, owner)) return;
    for (const vf of owner.vfs) {
      if (this.shown(vf, owner)) {
        if (!(await exists(vf.classPath))) await this.writeClassDevice(vf);
      } else await this.removeClassDevice(vf);
    }
  }

  async applyWrites(): Promise<void> {
    for (const owner of this.pfs) {
      if (!this.shown(owner.pf, owner)) continue;
      const path = join(owner.pf.classPath, "sriov_numvfs");
      const text = await readFile(path, "utf8");
      const n = spec("sriov_numvfs").parse(text);
      if (n === undefined || n > owner.vfs.length) {
        // What the kernel would have refused with EINVAL: put the old value back.
        await this.setRawAttribute(owner.pf.name, "sriov_numvfs", formatValue("sriov_numvfs", owner.enabled));
        throw new Error(`fake sysfs: ${path} holds ${JSON.stringify(text)}, which the driver would refuse (sriov_totalvfs ${owner.vfs.length})`);
      }
      if (n !== owner.enabled) await this.enableVfs(owner.pf.name, n);
    }
  }

  async addDevice(pf: FakePf): Promise<string> {
    return this.add(pf, "addDevice()");
  }

  async removeDevice(name: string, options: { pci?: boolean } = {}): Promise<void> {
    const { state, owner } = this.lookup(name);
    const fns = state.kind === "pf" ? [...owner.vfs, owner.pf] : [state];
    for (const f of fns) await this.removeClassDevice(f);
    state.bound = false;
    await this.unbindDriver(state);
    if (options.pci) {
      for (const f of fns) {
        await this.unbindDriver(f);
        await rm(join(this.root, "bus", "pci", "devices", f.pciAddress), { force: true });
        await rm(f.pciPath, { recursive: true, force: true });
        this.byName.delete(f.name);
      }
      if (state.kind === "pf") owner.unplugged = true;
    }
  }

  async unloadDriver(): Promise<void> {
    for (const owner of this.pfs) {
      if (owner.unplugged) continue;
      for (const f of [...owner.vfs, owner.pf]) {
        await this.removeClassDevice(f);
        await this.unbindDriver(f);
      }
    }
    this.driverLoaded = false;
    await rm(this.classDir, { recursive: true, force: true });
    await rm(this.driverDir, { recursive: true, force: true });
  }

  async loadDriver(): Promise<void> {
    if (this.driverLoaded) return;
    this.driverLoaded = true;
    await mkdir(this.classDir, { recursive: true });
    await mkdir(this.driverDir, { recursive: true });
    for (const owner of this.pfs) {
      if (owner.unplugged) continue;
      // A fresh probe binds every function; VFs return as SRIOV_NUM_VFS (kept by the device) says.
      for (const f of [owner.pf, ...owner.vfs]) {
        f.bound = true;
        await this.bindDriver(f);
        if (this.shown(f, owner)) await this.writeClassDevice(f);
      }
    }
  }

  async cleanup(): Promise<void> {
    for (const sub of ["class", "bus", "devices"]) await rm(join(this.root, sub), { recursive: true, force: true });
    await rmdir(this.root).catch(() => undefined); // only if nothing else lives there
  }
}

interface PciIdentity {
  address: string;
  vendor: number;
  device: number;
  classCode: number;
  revision: number;
  subsystemVendor: number;
  subsystemDevice: number;
  numaNode: number;
}

function mockIdentity(f: FunctionState, numaNode: number): PciIdentity {
  return {
    address: f.pciAddress,
    vendor: PCI_IDS.vendorId,
    device: f.kind === "pf" ? PCI_IDS.pfDeviceId : PCI_IDS.vfDeviceId,
    classCode: PCI_IDS.classCode,
    revision: PCI_IDS.revisionId,
    subsystemVendor: PCI_IDS.subsystemVendorId,
    subsystemDevice: PCI_IDS.subsystemId,
    numaNode,
  };
}

/** What drivers/pci/pci-driver.c pci_uevent() shows, after the driver core's DRIVER=. */
function pciUevent(id: PciIdentity, driver: string | null): string {
  const X = (v: number, width: number) => v.toString(16).toUpperCase().padStart(width, "0");
  return [
    ...(driver ? [`DRIVER=${driver}`] : []),
    `PCI_CLASS=${X(id.classCode, 4)}`,
    `PCI_ID=${X(id.vendor, 4)}:${X(id.device, 4)}`,
    `PCI_SUBSYS_ID=${X(id.subsystemVendor, 4)}:${X(id.subsystemDevice, 4)}`,
    `PCI_SLOT_NAME=${id.address}`,
    `MODALIAS=pci:v${X(id.vendor, 8)}d${X(id.device, 8)}sv${X(id.subsystemVendor, 8)}sd${X(id.subsystemDevice, 8)}bc${X(id.classCode >> 16, 2)}sc${X((id.classCode >> 8) & 0xff, 2)}i${X(id.classCode & 0xff, 2)}`,
    "",
  ].join("\n");
}

function publicView(s: FunctionState): FakeFunction {
  return { name: s.name, kind: s.kind, pciAddress: s.pciAddress, pciPath: s.pciPath, classPath: s.classPath, vfIndex: s.vfIndex };
}

async function writeMode(path: string, text: string, mode: number): Promise<void> {
  await writeFile(path, text, { mode });
  await chmod(path, mode); // writeFile's mode passes through the umask
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
