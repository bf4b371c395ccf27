// The files of a fake sysfs tree: PCI function directories with their identity files and bus
// links, the driver's bind links, class devices with their attribute files, the class links.
// Written in the order the kernel makes them visible, so a concurrent reader never sees half a
// device. What goes where comes from fake-pci-layout.ts and fake-attribute-texts.ts; when to
// write it is the kernel's business (fake-sysfs.ts).
import { chmod, mkdir, readFile, rename, rm, rmdir, stat, symlink, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { ATTRIBUTES, SYSFS_CLASS, type AttributeName } from "./generated/attributes.ts";
import type { FakeFunction } from "./fake-sysfs.ts";
import { bridgeIdentity, mockIdentity, pciIdentityFiles, pciUevent, type PciIdentity } from "./fake-pci-layout.ts";

/** A function of the fake guest as the fake kernel tracks it. */
export interface FunctionState extends FakeFunction {
  /** Text of each attribute file, as the kernel would show it; updated from the tree before removal. */
  texts: Map<AttributeName, string>;
  minor: number;
  numaNode: number;
  /** The driver is bound to this function. */
  bound: boolean;
}

export class FakeTreeFiles {
  constructor(
    readonly root: string,
    /** Character-device major in `dev`/`uevent`. */
    private readonly major: number,
  ) {}

  get classDir(): string {
    return join(this.root, "class", SYSFS_CLASS);
  }

  get driverDir(): string {
    return join(this.root, "bus", "pci", "drivers", SYSFS_CLASS);
  }

  private get busDevicesDir(): string {
    return join(this.root, "bus", "pci", "devices");
  }

  /** `devices/` and the PF's directories below it. */
  pciPath(segments: readonly string[]): string {
    return join(this.root, "devices", ...segments);
  }

  /** A PF's directories below `devices/`, for comparing with a path a test gives. */
  relativePciPath(pciPath: string): string {
    return relative(join(this.root, "devices"), pciPath);
  }

  async init(): Promise<void> {
    await this.createDriverDirs();
    await mkdir(this.busDevicesDir, { recursive: true });
    await mkdir(join(this.root, "devices"), { recursive: true });
  }

  /** The class and the driver's directory, as loading the module makes them. */
  async createDriverDirs(): Promise<void> {
    await mkdir(this.classDir, { recursive: true });
    await mkdir(this.driverDir, { recursive: true });
  }

  async removeDriverDirs(): Promise<void> {
    await rm(this.classDir, { recursive: true, force: true });
    await rm(this.driverDir, { recursive: true, force: true });
  }

  /** Root ports and bridges above the device (`parentRel` below `devices/`), with the IDs QEMU gives them. */
  async writeBridges(parentRel: readonly string[], numaNode: number): Promise<void> {
    for (let i = 1; i < parentRel.length; i++) {
      const address = parentRel[i]!;
      const path = this.pciPath(parentRel.slice(0, i + 1));
      if (await exists(path)) continue;
      await mkdir(path, { recursive: true });
      await this.writePciIdentity(path, bridgeIdentity(address, i, numaNode));
      await this.link(join(this.busDevicesDir, address), path);
    }
  }

  private async writePciIdentity(path: string, id: PciIdentity): Promise<void> {
    await writeMode(join(path, "uevent"), pciUevent(id, null), 0o644);
    await Promise.all(pciIdentityFiles(id).map(([f, text]) => writeMode(join(path, f), text, 0o444)));
  }

  async writePciFunction(f: FunctionState): Promise<void> {
    await mkdir(f.pciPath, { recursive: true });
    await this.writePciIdentity(f.pciPath, mockIdentity(f.pciAddress, f.kind, f.numaNode));
    await this.link(join(this.busDevicesDir, f.pciAddress), f.pciPath);
  }

  /** Unplug: the function's directory and bus link go. */
  async removePciFunction(f: FunctionState): Promise<void> {
    await rm(join(this.busDevicesDir, f.pciAddress), { force: true });
    await rm(f.pciPath, { recursive: true, force: true });
  }

  async bindDriver(f: FunctionState): Promise<void> {
    await this.link(join(f.pciPath, "driver"), this.driverDir);
    await this.link(join(this.driverDir, f.pciAddress), f.pciPath);
    await writeMode(join(f.pciPath, "uevent"), pciUevent(mockIdentity(f.pciAddress, f.kind, f.numaNode), SYSFS_CLASS), 0o644);
  }

  async unbindDriver(f: FunctionState): Promise<void> {
    await rm(join(f.pciPath, "driver"), { force: true });
    await rm(join(this.driverDir, f.pciAddress), { force: true });
    if (await exists(f.pciPath)) await writeMode(join(f.pciPath, "uevent"), pciUevent(mockIdentity(f.pciAddress, f.kind, f.numaNode), null), 0o644);
  }

  async hasClassDevice(f: FunctionState): Promise<boolean> {
    return exists(f.classPath);
  }

  /** Attributes first, the class link last: a concurrent discover never sees half a device. */
  async writeClassDevice(f: FunctionState): Promise<void> {
    await mkdir(f.classPath, { recursive: true });
    await Promise.all([...f.texts].map(([n, text]) => writeMode(join(f.classPath, n), text, ATTRIBUTES[n].mode)));
    await writeMode(join(f.classPath, "dev"), `${this.major}:${f.minor}\n`, 0o444);
    await writeMode(join(f.classPath, "uevent"), `MAJOR=${this.major}\nMINOR=${f.minor}\nDEVNAME=${f.name}\n`, 0o644);
    await this.link(join(f.classPath, "device"), f.pciPath);
    await this.link(join(f.classPath, "subsystem"), this.classDir);
    await this.link(join(this.classDir, f.name), f.classPath);
  }

  /** Class link first, then the directory; attribute text is kept for when it comes back. */
  async removeClassDevice(f: FunctionState): Promise<void> {
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

  /** Replace an attribute file's text, keeping its mode; through a rename, so a reader never sees half a value. */
  async replaceAttribute(f: FunctionState, attribute: AttributeName, text: string): Promise<void> {
    const path = join(f.classPath, attribute);
    const mode = (await stat(path).catch(() => null))?.mode ?? ATTRIBUTES[attribute].mode;
    const tmp = `${path}.fake-tmp`;
    await writeMode(tmp, text, mode & 0o777);
    await rename(tmp, path);
  }

  async readAttribute(f: FunctionState, attribute: AttributeName): Promise<{ path: string; text: string }> {
    const path = join(f.classPath, attribute);
    return { path, text: await readFile(path, "utf8") };
  }

  /** Take the write bits off an attribute file, as sysfs has them for a read-only attribute. */
  async makeReadOnly(f: FunctionState, attribute: AttributeName): Promise<void> {
    const path = join(f.classPath, attribute);
    await chmod(path, (await stat(path)).mode & 0o555);
  }

  /** Delete everything under the root this fake wrote, and the root if nothing else lives there. */
  async cleanup(): Promise<void> {
    for (const sub of ["class", "bus", "devices"]) await rm(join(this.root, sub), { recursive: true, force: true });
    await rmdir(this.root).catch(() => undefined);
  }

  /** Relative like kernfs makes them: up to the target's parent, then its name (`device -> ../../../0000:11:00.0`). */
  private async link(at: string, target: string): Promise<void> {
    await rm(at, { force: true });
    await symlink(join(relative(dirname(at), dirname(target)), basename(target)), at);
  }
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
