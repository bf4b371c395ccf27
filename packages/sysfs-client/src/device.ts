// One mock-accel function as a DRA driver sees it: identity resolved from the PCI function
// directory at discovery time, attributes read and written on demand (they change).
import {
  ATTRIBUTE_NAMES,
  ATTRIBUTES,
  type AttributeTypes,
  type ReadableAttributeName,
  type WritableAttributeName,
} from "./generated/attributes.ts";
import type { AttributeFiles } from "./attribute-files.ts";
import { type DeviceKind, isVisibleOn, readAttribute, writeAttribute } from "./attribute-io.ts";

export type { DeviceKind };

/** Where the kernel driver's character devices appear. */
export const DEV_DIR = "/dev";

/** Every readable attribute the driver shows on this function, typed. PF-only ones are absent on a VF. */
export type DeviceAttributeValues = { [N in ReadableAttributeName]?: AttributeTypes[N] };

export interface MockAccelDeviceInfo {
  /** Class device name: `mock0`, `mock0_vf1`. */
  readonly name: string;
  readonly kind: DeviceKind;
  /** PCI address of the function, `0000:11:00.0`. */
  readonly pciAddress: string;
  /** `numa_node` of the PCI function; -1 when the platform has no NUMA information. */
  readonly numaNode: number;
  readonly vendorId: number;
  readonly deviceId: number;
  /** 24-bit class code, e.g. 0x120000. */
  readonly classCode: number;
  /** Root complex of the PCI path, `pci0000:10` (Kubernetes' `resource.kubernetes.io/pcieRoot`). */
  readonly pcieRoot: string;
  /** A VF's index under its PF; null on a PF. */
  readonly vfIndex: number | null;
  /** A VF's physical function (function 0 of its slot); null on a PF. `name` is null if the PF has no class entry. */
  readonly pf: { readonly name: string | null; readonly pciAddress: string } | null;
  /** The class device directory (real path), where the attribute files are. */
  readonly path: string;
  /** The PCI function directory (real path) under `<root>/devices`. */
  readonly pciPath: string;
}

export class MockAccelDevice implements MockAccelDeviceInfo {
  readonly name: string;
  readonly kind: DeviceKind;
  readonly pciAddress: string;
  readonly numaNode: number;
  readonly vendorId: number;
  readonly deviceId: number;
  readonly classCode: number;
  readonly pcieRoot: string;
  readonly vfIndex: number | null;
  readonly pf: { readonly name: string | null; readonly pciAddress: string } | null;
  readonly path: string;
  readonly pciPath: string;

  /**
   * `files`: where reads keep attribute files open (the client's, shared by every device it
   * returns; closed by MockAccelSysfs.close). Without it each read opens and closes the file.
   */
  readonly #files: AttributeFiles | undefined;

  constructor(info: MockAccelDeviceInfo, files?: AttributeFiles) {
    this.#files = files;
    this.name = info.name;
    this.kind = info.kind;
    this.pciAddress = info.pciAddress;
    this.numaNode = info.numaNode;
    this.vendorId = info.vendorId;
    this.deviceId = info.deviceId;
    this.classCode = info.classCode;
    this.pcieRoot = info.pcieRoot;
    this.vfIndex = info.vfIndex;
    this.pf = info.pf;
    this.path = info.path;
    this.pciPath = info.pciPath;
  }

  /**
   * The kernel driver's character device for this function, `/dev/<name>` (`/dev/mock0`,
   * `/dev/mock0_vf1`): the driver creates it with the class device's name (DEVNAME in the class
   * device's `uevent`). Always under `/dev`, whatever sysfs root the client was given, since it
   * is the path a container runtime must be handed.
   */
  get devicePath(): string {
    return `${DEV_DIR}/${this.name}`;
  }

  /** Whether the driver shows `name` on this function (PF-only attributes are absent on a VF). */
  has(name: ReadableAttributeName | WritableAttributeName): boolean {
    return isVisibleOn(name, this.kind);
  }

  /** Read and parse one attribute: `await dev.read("memory_size")` is a bigint. */
  read<N extends ReadableAttributeName>(name: N): Promise<AttributeTypes[N]> {
    return readAttribute(this.path, this.kind, name, this.#files);
  }

  /** Validate `value` with the spec's schema, then write the text the kernel expects. */
  write<N extends WritableAttributeName>(name: N, value: AttributeTypes[N]): Promise<void> {
    return writeAttribute(this.path, this.kind, name, value);
  }

  /** Every readable attribute this function shows, read in parallel; the first failure throws. */
  async readAll(): Promise<DeviceAttributeValues> {
    const names = ATTRIBUTE_NAMES.filter(
      (n): n is ReadableAttributeName => ATTRIBUTES[n].readable && isVisibleOn(n, this.kind),
    );
    const values = await Promise.all(names.map((n) => this.read(n)));
    const out: Record<string, unknown> = {};
    names.forEach((n, i) => {
      out[n] = values[i];
    });
    return out as DeviceAttributeValues;
  }

  /** Plain data (no methods), e.g. for logging or JSON. */
  toJSON(): MockAccelDeviceInfo {
    return {
      name: this.name,
      kind: this.kind,
      pciAddress: this.pciAddress,
      numaNode: this.numaNode,
      vendorId: this.vendorId,
      deviceId: this.deviceId,
      classCode: this.classCode,
      pcieRoot: this.pcieRoot,
      vfIndex: this.vfIndex,
      pf: this.pf,
      path: this.path,
      pciPath: this.pciPath,
    };
  }
}
