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
//
// This file is the API and the kernel's behaviour (probe, sriov_numvfs, unbind, rmmod): what
// appears and disappears when. Where functions sit on the PCI bus is fake-pci-layout.ts, what
// attribute files say is fake-attribute-texts.ts, and writing the files is fake-tree-files.ts.
import { join } from "node:path";
import { SYSFS_CLASS, type AttributeName, type AttributeTypes, type SemVer } from "./generated/attributes.ts";
import type { DeviceKind } from "./attribute-io.ts";
import { parseDeviceName, pfDeviceName, vfDeviceName } from "./device-names.ts";
import {
  attributeTexts,
  DEFAULT_FW,
  describeValue,
  deviceUuid,
  deviceValues,
  formatValue,
  PF_CAPABILITIES,
  PF_MEMORY_BYTES,
  spec,
  toSemVer,
  valueProblem,
  VF_CAPABILITIES,
  VF_MEMORY_BYTES,
  type FakeAttributeValues,
} from "./fake-attribute-texts.ts";
import { functionAddress, GuestPfPlacement, MAX_TOTAL_VFS, parseExplicitPciPath, vfFunction } from "./fake-pci-layout.ts";
import { FakeTreeFiles, type FunctionState } from "./fake-tree-files.ts";

export type { FakeAttributeValues } from "./fake-attribute-texts.ts";

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

interface PfState {
  pf: FunctionState;
  vfs: FunctionState[];
  enabled: number;
  unplugged: boolean;
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
  private readonly files: FakeTreeFiles;
  private readonly placement: GuestPfPlacement;
  private readonly pfs: PfState[] = [];
  private readonly byName = new Map<string, { state: FunctionState; owner: PfState }>();
  private nextPfNumber = 0;
  private nextMinor = 0;
  private driverLoaded = true;

  constructor(dir: string, options: FakeSysfsOptions) {
    this.files = new FakeTreeFiles(dir, options.major ?? 240);
    this.placement = new GuestPfPlacement(options.transport ?? "vfio-user");
  }

  get root(): string {
    return this.files.root;
  }

  get functions(): readonly FakeFunction[] {
    return this.pfs.filter((p) => !p.unplugged).flatMap((p) => [p.pf, ...p.vfs].map(publicView));
  }

  async init(): Promise<void> {
    await this.files.init();
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

  // ---- hot-plug and probe ------------------------------------------------------------------

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

    const pfPath = pf.pciPath !== undefined ? this.explicitPath(pf.pciPath, where) : this.placement.next(numaNode, where);
    const parentRel = pfPath.slice(0, -1);
    await this.files.writeBridges(parentRel, numaNode);

    const mk = (kind: DeviceKind, fnName: string, fn: number, vfIndex: number | null, values: FakeAttributeValues): FunctionState => {
      const texts = attributeTexts(kind, values, `${where}${kind === "vf" ? `.vfs[${vfIndex}]` : ""}`);
      const pciAddress = functionAddress(pfPath, fn);
      const pciPath = this.files.pciPath([...parentRel, pciAddress]);
      return { name: fnName, kind, pciAddress, pciPath, classPath: join(pciPath, SYSFS_CLASS, fnName), vfIndex, texts, minor: this.nextMinor++, numaNode, bound: true };
    };
    const pfState = mk("pf", name, 0, null, {
      ...deviceValues(deviceUuid(pf.uuid ?? name, `${where}.uuid`), pf.memorySize ?? PF_MEMORY_BYTES, pf.capabilities ?? PF_CAPABILITIES, fw, numaNode),
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
        ...deviceValues(deviceUuid(o.uuid ?? vfName, `${where}.vfs[${i}].uuid`), o.memorySize ?? VF_MEMORY_BYTES, o.capabilities ?? VF_CAPABILITIES, vfFw, numaNode),
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
    await Promise.all([pfState, ...vfs].map((f) => this.plugPciFunction(f)));
    await Promise.all([pfState, ...vfs].filter((f) => this.shown(f, owner)).map((f) => this.files.writeClassDevice(f)));
    return name;
  }

  private explicitPath(pciPath: string, where: string): string[] {
    const segments = parseExplicitPciPath(pciPath, where);
    const taken = this.pfs.find((p) => !p.unplugged && this.files.relativePciPath(p.pf.pciPath) === segments.join("/"));
    if (taken) throw new Error(`${where}.pciPath: ${pciPath} is already '${taken.pf.name}'`);
    return segments;
  }

  /** The function appears on the bus; a loaded driver binds it at once. */
  private async plugPciFunction(f: FunctionState): Promise<void> {
    await this.files.writePciFunction(f);
    if (this.driverLoaded) await this.files.bindDriver(f);
  }

  // ---- what the kernel does ----------------------------------------------------------------

  async setAttribute<N extends AttributeName>(device: string, attribute: N, value: AttributeTypes[N]): Promise<void> {
    const problem = valueProblem(spec(attribute), value);
    if (problem) throw new Error(`fake sysfs: ${device} ${attribute} = ${describeValue(value)}: ${problem} (setRawAttribute writes any text)`);
    await this.setRawAttribute(device, attribute, formatValue(attribute, value));
  }

  async setRawAttribute(device: string, attribute: AttributeName, text: string): Promise<void> {
    const { state, owner } = this.lookup(device);
    if (!state.texts.has(attribute)) throw new Error(`fake sysfs: '${device}' is a ${state.kind.toUpperCase()}; the driver does not show '${attribute}' on it`);
    state.texts.set(attribute, text);
    if (!this.shown(state, owner)) return;
    await this.files.replaceAttribute(state, attribute, text);
  }

  async rejectWrites(device: string, attribute: AttributeName): Promise<void> {
    const { state, owner } = this.lookup(device);
    if (!this.shown(state, owner)) throw new Error(`fake sysfs: '${device}' is not shown in the class`);
    await this.files.makeReadOnly(state, attribute);
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
        if (!(await this.files.hasClassDevice(vf))) await this.files.writeClassDevice(vf);
      } else await this.files.removeClassDevice(vf);
    }
  }

  async applyWrites(): Promise<void> {
    for (const owner of this.pfs) {
      if (!this.shown(owner.pf, owner)) continue;
      const { path, text } = await this.files.readAttribute(owner.pf, "sriov_numvfs");
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
    for (const f of fns) await this.files.removeClassDevice(f);
    state.bound = false;
    await this.files.unbindDriver(state);
    if (options.pci) {
      for (const f of fns) {
        await this.files.unbindDriver(f);
        await this.files.removePciFunction(f);
        this.byName.delete(f.name);
      }
      if (state.kind === "pf") owner.unplugged = true;
    }
  }

  async unloadDriver(): Promise<void> {
    for (const owner of this.pfs) {
      if (owner.unplugged) continue;
      for (const f of [...owner.vfs, owner.pf]) {
        await this.files.removeClassDevice(f);
        await this.files.unbindDriver(f);
      }
    }
    this.driverLoaded = false;
    await this.files.removeDriverDirs();
  }

  async loadDriver(): Promise<void> {
    if (this.driverLoaded) return;
    this.driverLoaded = true;
    await this.files.createDriverDirs();
    for (const owner of this.pfs) {
      if (owner.unplugged) continue;
      // A fresh probe binds every function; VFs return as SRIOV_NUM_VFS (kept by the device) says.
      for (const f of [owner.pf, ...owner.vfs]) {
        f.bound = true;
        await this.files.bindDriver(f);
        if (this.shown(f, owner)) await this.files.writeClassDevice(f);
      }
    }
  }

  async cleanup(): Promise<void> {
    await this.files.cleanup();
  }
}

function publicView(s: FunctionState): FakeFunction {
  return { name: s.name, kind: s.kind, pciAddress: s.pciAddress, pciPath: s.pciPath, classPath: s.classPath, vfIndex: s.vfIndex };
}
