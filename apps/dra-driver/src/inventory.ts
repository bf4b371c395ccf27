// This node's devices as the DRA driver sees them, all through @mock-accel/sysfs-client:
// discovery, DNS-label device names, ResourceSlice attributes and capacity.
import type { V1Device, V1DeviceAttribute } from "@kubernetes/client-node";
import { DriverNotLoadedError, dnsLabelName, toDeviceAttributes, type DeviceAttribute, type MockAccelDevice, type MockAccelSysfs } from "@mock-accel/sysfs-client";
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
  constructor(
    private readonly sysfs: MockAccelSysfs,
    private readonly driverName: string,
    private readonly log: Logger,
  ) {}

  /** Every device the driver shows; one that cannot be read is reported and skipped, never fatal. */
  async snapshot(): Promise<InventorySnapshot> {
    const found = await this.discover();
    const devices: V1Device[] = [];
    const skipped: string[] = [];
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

  /** The device published as `draName`, or undefined when the driver does not show it now. */
  async find(draName: string): Promise<MockAccelDevice | undefined> {
    return (await this.discover()).find((d) => dnsLabelName(d) === draName);
  }

  private async discover(): Promise<MockAccelDevice[]> {
    try {
      return await this.sysfs.discover();
    } catch (err) {
      // No module loaded means no devices (the pool is published empty), not a crash loop.
      if (err instanceof DriverNotLoadedError) return [];
      throw err;
    }
  }
}
