// This node's devices as the DRA driver sees them, all through @mock-accel/sysfs-client:
// discovery, DNS-label device names, ResourceSlice attributes and capacity.
import type { V1Device, V1DeviceAttribute } from "@kubernetes/client-node";
import {
  DriverNotLoadedError, dnsLabelName, toDeviceAttributes,
  type DeviceAttribute, type MockAccelDevice, type MockAccelSysfs, type MockAccelSysfsError,
} from "@mock-accel/sysfs-client";
import type { Logger } from "./logger.ts";

export interface InventorySnapshot {
  /** ResourceSlice devices, in the Kubernetes client's model form. */
  devices: V1Device[];
  /** Kernel names of devices that could not be described (reported, left out). */
  skipped: string[];
}

/** The client returns wire-form attributes; the Kubernetes client's serializer wants `_int` for `int`. */
function toModel(attr: DeviceAttribute): V1DeviceAttribute {
  if ("int" in attr) return { _int: attr.int };
  return { ...attr };
}

export class DeviceInventory {
  /** DRA device name → kernel name, from the last discovery; only a hint, every use re-resolves the device. */
  private kernelNames = new Map<string, string>();

  constructor(
    private readonly sysfs: MockAccelSysfs,
    private readonly driverName: string,
    private readonly log: Logger,
  ) {}

  /** Every device the driver shows; one that cannot be read is reported and skipped, never fatal. */
  async snapshot(): Promise<InventorySnapshot> {
    const { found, broken } = await this.discover();
    this.remember(found);
    const devices: V1Device[] = [];
    const skipped: string[] = [];
    for (const [name, err] of broken) {
      this.log.error(`skipping device ${name}: ${err.message}`);
      skipped.push(name);
    }
    const names = new Map<string, string>();
    for (const device of found) {
      const name = dnsLabelName(device);
      const clash = names.get(name);
      if (clash !== undefined) {
        this.log.error(`devices ${clash} and ${device.name} both map to the DRA device name ${name}; skipping ${device.name}`);
        skipped.push(device.name);
        continue;
      }
      try {
        const { attributes, capacity } = await toDeviceAttributes(device, { domain: this.driverName });
        devices.push({
          name,
          attributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, toModel(v)])),
          capacity: Object.fromEntries(Object.entries(capacity).map(([k, v]) => [k, { value: v.value }])),
        });
        names.set(name, device.name);
      } catch (err) {
        this.log.error(`skipping device ${device.name}: ${err instanceof Error ? err.message : String(err)}`);
        skipped.push(device.name);
      }
    }
    return { devices, skipped };
  }

  /**
   * A claim's devices by their published (DRA) names: the returned function gives a device, or
   * undefined when the driver does not show it now. The DRA-name → kernel-name map of the last
   * discovery (the publisher's or a previous claim's) lets each device be resolved alone with
   * `get`, which re-reads its identity, instead of discovering the whole tree per claim (tens of
   * milliseconds on a node of 256 functions); a name the map does not know, a device `get`
   * cannot resolve or one whose name no longer maps back falls back to one full discovery. The
   * function throws only when the name asked for is a broken device (other broken devices do
   * not matter here).
   */
  async lookup(draNames: readonly string[]): Promise<(draName: string) => MockAccelDevice | undefined> {
    const cached = await this.resolveCached(draNames);
    if (cached) return (draName) => cached.get(draName);
    const { found, broken } = await this.discover();
    const byLabel = this.remember(found);
    return (draName) => {
      const device = byLabel.get(draName);
      if (device) return device;
      for (const [name, err] of broken) {
        if (labelOf(name) === draName) throw new Error(`device ${draName} (${name}) cannot be used: ${err.message}`, { cause: err });
      }
      return undefined;
    };
  }

  /** Every name resolved through the map of the last discovery, or null to discover afresh. */
  private async resolveCached(draNames: readonly string[]): Promise<Map<string, MockAccelDevice> | null> {
    if (draNames.length === 0) return null;
    const kernelNames = draNames.map((draName) => this.kernelNames.get(draName));
    if (kernelNames.includes(undefined)) return null;
    // All at once: each `get` is a chain of a few small reads, and a claim's devices are independent.
    const devices = await Promise.all(kernelNames.map((name) => this.sysfs.get(name!).catch(() => null)));
    const out = new Map<string, MockAccelDevice>();
    for (const [i, draName] of draNames.entries()) {
      const device = devices[i];
      // Gone, broken or renamed since: the full discovery says which, with its own error.
      if (!device || labelOf(device.name) !== draName) return null;
      out.set(draName, device);
    }
    return out;
  }

  /** Devices by DRA name, the first of a clashing pair winning as in snapshot(); kept for resolveCached. */
  private remember(found: readonly MockAccelDevice[]): Map<string, MockAccelDevice> {
    const byLabel = new Map<string, MockAccelDevice>();
    for (const d of found) {
      const label = labelOf(d.name);
      if (label !== null && !byLabel.has(label)) byLabel.set(label, d);
    }
    this.kernelNames = new Map([...byLabel].map(([label, d]) => [label, d.name]));
    return byLabel;
  }

  /** One broken or unreadable device is reported and skipped by the client, never fatal (issue 9). */
  private async discover(): Promise<{ found: MockAccelDevice[]; broken: Map<string, MockAccelSysfsError> }> {
    const broken = new Map<string, MockAccelSysfsError>();
    try {
      const found = await this.sysfs.discover({ onError: (err, name) => broken.set(name, err) });
      return { found, broken };
    } catch (err) {
      // No module loaded means no devices (the pool is published empty), not a crash loop.
      if (err instanceof DriverNotLoadedError) return { found: [], broken: new Map() };
      throw err;
    }
  }
}

/** A class entry name as a DRA device name; null for one no DNS label can carry. */
function labelOf(name: string): string | null {
  try {
    return dnsLabelName(name);
  } catch {
    return null;
  }
}
