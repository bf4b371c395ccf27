// Discovery the way the kernel lays devices out: /sys/class/mock-accel/<name> is a link to the
// class device, whose `device` link is the PCI function directory (its uevent gives the IDs,
// numa_node the node). A VF's PF is function 0 of the VF's slot.
// Synchronous calls, as in bounded-read.ts: a readlink or a listing of sysfs takes microseconds,
// and the promise API added a thread-pool round trip to each (a millisecond in a TCG guest, where
// the DRA driver's device watch discovers every half second).
import { lstatSync, readdirSync, readlinkSync, realpathSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { PCI_IDS, SYSFS_CLASS } from "./generated/attributes.ts";
import { AttributeFiles, DEFAULT_MAX_OPEN_FILES } from "./attribute-files.ts";
import { readAttribute } from "./attribute-io.ts";
import { readBoundedTextSync } from "./bounded-read.ts";
import { parseDeviceName } from "./device-names.ts";
import { MockAccelDevice, type DeviceKind } from "./device.ts";
import { DeviceNotFoundError, DriverNotLoadedError, MockAccelSysfsError, SysfsLayoutError, errnoCode } from "./errors.ts";
import { functionZero, parsePciAddress } from "./pci-address.ts";
import { watchDevices, type DeviceEvent, type WatchOptions } from "./watch.ts";

export interface MockAccelSysfsOptions {
  /** Where sysfs is mounted; a fake tree's directory in tests. Default "/sys". */
  root?: string;
  /**
   * How many attribute files `read` keeps open between reads, shared by every device this
   * client returns (the least recently read is closed first; 0 opens each file for each read).
   * A kept file is read again from offset 0, which makes sysfs run the driver's show() again:
   * one system call per read instead of four. Default 128. `close()` closes them.
   */
  maxOpenFiles?: number;
}

export interface DiscoverOptions {
  /**
   * Report and skip: a device whose layout is broken or unreadable (no `device` link, foreign
   * IDs, EACCES on its PCI files) is passed here with its class entry name and left out, and
   * discovery goes on with the others. Without it, the first such device throws (as before).
   * Errors about the whole tree (DriverNotLoadedError, an unlistable class directory) always throw.
   */
  onError?: (err: MockAccelSysfsError, deviceName: string) => void;
}

/** Resolved before the PF of each VF is known. */
type Resolved = Omit<ConstructorParameters<typeof MockAccelDevice>[0], "pf">;

// One collator: localeCompare with options builds a new one per comparison (most of the sort's cost).
const collator = new Intl.Collator("en", { numeric: true });
const byName = (a: { name: string }, b: { name: string }) => collator.compare(a.name, b.name);

export class MockAccelSysfs {
  readonly root: string;
  /** `<root>/class/mock-accel`. */
  readonly classDir: string;

  private readonly files: AttributeFiles;

  constructor({ root = "/sys", maxOpenFiles = DEFAULT_MAX_OPEN_FILES }: MockAccelSysfsOptions = {}) {
    this.root = root;
    this.classDir = join(root, "class", SYSFS_CLASS);
    this.files = new AttributeFiles(maxOpenFiles);
  }

  /** How many attribute files this client holds open now (at most `maxOpenFiles`). */
  get openFiles(): number {
    return this.files.openCount;
  }

  /** Closes the attribute files this client keeps open. It stays usable: later reads open files again. */
  close(): void {
    this.files.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Every mock-accel function the driver shows, PFs and enabled VFs, sorted by name (mock2 before mock10). */
  async discover(options: DiscoverOptions = {}): Promise<MockAccelDevice[]> {
    const { onError } = options;
    const names = this.classEntries();
    const realRoot = this.realRoot();
    const resolveOne = onError === undefined
      ? (n: string) => this.resolve(n, realRoot)
      : async (n: string) => {
          try {
            return await this.resolve(n, realRoot);
          } catch (err) {
            // Only what this package diagnoses is a device's fault; anything else is a bug here.
            if (!(err instanceof MockAccelSysfsError)) throw err;
            onError(err, n);
            return null;
          }
        };
    const resolved = await Promise.all(names.map(resolveOne));
    const present = resolved.filter((r): r is Resolved => r !== null);
    const nameByAddress = new Map(present.map((r) => [r.pciAddress, r.name]));
    return present
      .map((r) => {
        if (r.kind === "pf") return new MockAccelDevice({ ...r, pf: null }, this.files);
        const pfAddress = functionZero(r.pciAddress);
        return new MockAccelDevice({ ...r, pf: { name: nameByAddress.get(pfAddress) ?? null, pciAddress: pfAddress } }, this.files);
      })
      .sort(byName);
  }

  /** One device by class name; DeviceNotFoundError when the driver shows no such device. */
  async get(name: string): Promise<MockAccelDevice> {
    const entry = join(this.classDir, name);
    if (name === "" || name.includes("/") || name === "." || name === "..") throw new DeviceNotFoundError(name, entry);
    const r = await this.resolve(name, this.realRoot());
    if (r === null) {
      if (isGone(this.classDir)) throw new DriverNotLoadedError(this.classDir); // rather than a misleading "no device"
      throw new DeviceNotFoundError(name, entry);
    }
    if (r.kind === "pf") return new MockAccelDevice({ ...r, pf: null }, this.files);
    const pfAddress = functionZero(r.pciAddress);
    const pfClassDir = join(dirname(r.pciPath), pfAddress, SYSFS_CLASS);
    let pfName: string | null = null;
    try {
      pfName = readdirSync(pfClassDir).sort()[0] ?? null;
    } catch (err) {
      if (errnoCode(err) !== "ENOENT") throw new SysfsLayoutError(pfClassDir, `cannot list the PF's class devices (${errnoCode(err)})`, err);
    }
    return new MockAccelDevice({ ...r, pf: { name: pfName, pciAddress: pfAddress } }, this.files);
  }

  /**
   * Devices appearing and disappearing, by polling `discover()` every `intervalMs` (sysfs sends
   * no inotify events). Devices present at the start come first as "added", unless the caller
   * passes them as `since`.
   * Ends when `signal` aborts. An unloaded module reads as every device removed. With
   * `onError`, a broken device is reported on every poll and reads as absent.
   */
  watch(options: WatchOptions = {}): AsyncGenerator<DeviceEvent, void, undefined> {
    const { onError } = options;
    return watchDevices(() => this.discoverOrNone(onError === undefined ? {} : { onError }), options);
  }

  private async discoverOrNone(options: DiscoverOptions): Promise<MockAccelDevice[]> {
    try {
      return await this.discover(options);
    } catch (err) {
      if (err instanceof DriverNotLoadedError) return [];
      throw err;
    }
  }

  private realRoot(): string {
    try {
      return realpathSync(this.root);
    } catch (err) {
      if (errnoCode(err) === "ENOENT") throw new DriverNotLoadedError(this.classDir);
      throw new SysfsLayoutError(this.root, `cannot resolve the sysfs root (${errnoCode(err)})`, err);
    }
  }

  private classEntries(): string[] {
    try {
      return readdirSync(this.classDir);
    } catch (err) {
      if (errnoCode(err) === "ENOENT") throw new DriverNotLoadedError(this.classDir);
      throw new SysfsLayoutError(this.classDir, `cannot list (${errnoCode(err)})`, err);
    }
  }

  /** null when the entry vanished while we looked (a VF disabled mid-discovery). */
  private async resolve(name: string, realRoot: string): Promise<Resolved | null> {
    const realEntry = join(realRoot, "class", SYSFS_CLASS, name);
    const path = resolveLink(realEntry);
    if (path === null) return null;
    try {
      return await this.resolveClassDevice(name, realRoot, path);
    } catch (err) {
      // A VF disabled (or a device unplugged) while we looked: its class link went first.
      if (isGone(realEntry)) return null;
      throw err;
    }
  }

  private async resolveClassDevice(name: string, realRoot: string, path: string): Promise<Resolved> {
    const entry = join(this.classDir, name);
    const pciPath = resolveLink(join(path, "device"));
    if (pciPath === null) throw new SysfsLayoutError(join(entry, "device"), "class device has no PCI function link");
    const pciAddress = basename(pciPath);
    if (!parsePciAddress(pciAddress)) throw new SysfsLayoutError(join(entry, "device"), `links to ${pciPath}, not a PCI function directory`);
    const underDevices = relative(join(realRoot, "devices"), pciPath).split(sep);
    const pcieRoot = underDevices[0] ?? "";
    if (!/^pci[0-9a-f]{4}:[0-9a-f]{2}$/.test(pcieRoot) || underDevices.length < 2) {
      throw new SysfsLayoutError(pciPath, `not under ${join(realRoot, "devices")}/pciDDDD:BB`);
    }
    const { vendorId, deviceId, classCode, source } = readPciIdentity(pciPath);
    const numaNode = readPciNumber(pciPath, "numa_node", 10);
    let kind: DeviceKind;
    if (deviceId === PCI_IDS.pfDeviceId) kind = "pf";
    else if (deviceId === PCI_IDS.vfDeviceId) kind = "vf";
    else throw new SysfsLayoutError(source, `device ID 0x${deviceId.toString(16).padStart(4, "0")} is neither the PF (0x${PCI_IDS.pfDeviceId.toString(16).padStart(4, "0")}) nor the VF (0x${PCI_IDS.vfDeviceId.toString(16).padStart(4, "0")}) of mock-accel`);
    let vfIndex: number | null = null;
    if (kind === "vf") {
      // The driver names VFs by the spec's rule (mock<N>_vf<VF_INDEX>); read vf_index only if
      // someone renamed it.
      vfIndex = parseDeviceName(name)?.vf ?? (await readAttribute(path, kind, "vf_index"));
    }
    return { name, kind, pciAddress, numaNode, vendorId, deviceId, classCode, pcieRoot, vfIndex, path, pciPath };
  }
}

function isGone(path: string): boolean {
  try {
    lstatSync(path);
    return false;
  } catch (err) {
    return errnoCode(err) === "ENOENT";
  }
}

/**
 * Where a sysfs link points, as an absolute path; null if it is gone. Sysfs links are relative
 * and /sys/devices has no symlinked directories, so readlink + resolve equals realpath at one
 * syscall instead of one per path component. Anything that is not a symlink (an old kernel's
 * class directory) goes through realpath.
 */
function resolveLink(path: string): string | null {
  try {
    return resolve(dirname(path), readlinkSync(path));
  } catch (err) {
    const code = errnoCode(err);
    if (code === "ENOENT") return null;
    if (code !== "EINVAL") throw new SysfsLayoutError(path, `cannot read the link (${code})`, err);
  }
  try {
    return realpathSync(path);
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return null;
    throw new SysfsLayoutError(path, `cannot resolve (${errnoCode(err)})`, err);
  }
}

/**
 * Vendor, device and class from the PCI function's `uevent` (PCI_ID=1DE5:0001, PCI_CLASS=120000,
 * written by pci_uevent()): one read instead of three; the separate files if a line is missing.
 */
function readPciIdentity(pciPath: string): { vendorId: number; deviceId: number; classCode: number; source: string } {
  const path = join(pciPath, "uevent");
  let text: string;
  try {
    text = readBoundedTextSync(path);
  } catch (err) {
    throw new SysfsLayoutError(path, `cannot read the PCI function's uevent (${errnoCode(err)})`, err);
  }
  const id = /^PCI_ID=([0-9A-Fa-f]{4}):([0-9A-Fa-f]{4})$/m.exec(text);
  const cls = /^PCI_CLASS=([0-9A-Fa-f]{1,6})$/m.exec(text);
  if (id && cls) return { vendorId: parseInt(id[1]!, 16), deviceId: parseInt(id[2]!, 16), classCode: parseInt(cls[1]!, 16), source: path };
  const vendorId = readPciNumber(pciPath, "vendor", 16);
  const deviceId = readPciNumber(pciPath, "device", 16);
  const classCode = readPciNumber(pciPath, "class", 16);
  return { vendorId, deviceId, classCode, source: join(pciPath, "device") };
}

const PCI_NUMBER = { 16: /^0x[0-9a-f]+\n?$/i, 10: /^-?\d+\n?$/ } as const;
/**
 * What the kernel can show: 16-bit IDs, a 24-bit class, and a NUMA node below MAX_NUMNODES
 * (at most 1 << 10 on x86-64) or -1 for none.
 */
const PCI_NUMBER_RANGE: Record<string, [number, number]> = { vendor: [0, 0xffff], device: [0, 0xffff], class: [0, 0xffffff], numa_node: [-1, 1023] };

/** Text for an error message: quoted, and cut short when long. */
function shown(raw: string): string {
  return raw.length <= 64 ? JSON.stringify(raw) : `${JSON.stringify(raw.slice(0, 64))}... (${raw.length} bytes)`;
}

function readPciNumber(pciPath: string, file: string, radix: 16 | 10): number {
  const path = join(pciPath, file);
  let raw: string;
  try {
    raw = readBoundedTextSync(path);
  } catch (err) {
    throw new SysfsLayoutError(path, `cannot read the PCI function's ${file} (${errnoCode(err)})`, err);
  }
  if (!PCI_NUMBER[radix].test(raw)) throw new SysfsLayoutError(path, `cannot parse ${shown(raw)} as ${radix === 16 ? "hex" : "a decimal"}`);
  const value = parseInt(raw, radix);
  const [min, max] = PCI_NUMBER_RANGE[file] ?? [0, 0xffffffff];
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new SysfsLayoutError(path, `${file} ${raw.trim()} is outside ${min}..${max}`);
  return value;
}

