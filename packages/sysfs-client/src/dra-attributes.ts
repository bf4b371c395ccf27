// A device's entry in a resource.k8s.io/v1 ResourceSlice: `attributes` and `capacity`, names
// qualified by a domain. The spec's `dra:` mapping picks which sysfs attributes appear; the
// identity ones (deviceType, pciAddress, physFn, physfn, pcieRoot) come from the PCI layout
// and the device names.
import { ATTRIBUTE_NAMES, ATTRIBUTES, DRA_BIT_ATTRIBUTES, type ReadableAttributeName, type SemVer } from "./generated/attributes.ts";
import type { MockAccelDevice } from "./device.ts";
import { bytesToQuantity } from "./quantity.ts";

/** One `DeviceAttribute`: exactly one of these fields is set. */
export type DeviceAttribute = { string: string } | { int: number } | { bool: boolean } | { version: string };
/** One `DeviceCapacity`. */
export interface DeviceCapacity {
  value: string;
}

export interface DeviceAttributesOptions {
  /** Qualifies every name: `<domain>/memory`. Default "mock-accel.example.com". */
  domain?: string;
}

export interface DraDeviceAttributes {
  attributes: Record<string, DeviceAttribute>;
  capacity: Record<string, DeviceCapacity>;
}

/** Kubernetes' standard attribute for the PCIe root complex (`pci0000:10`), for topology-aware allocation. */
export const PCIE_ROOT_ATTRIBUTE = "resource.kubernetes.io/pcieRoot";

/** The qualified-name limit (`resource.k8s.io/v1` DeviceAttribute keys: domain ≤ 63, name ≤ 32). */
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,31}$/;
const DOMAIN = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function isSemVer(v: unknown): v is SemVer {
  return typeof v === "object" && v !== null && "major" in v && "minor" in v && "patch" in v;
}

function toAttribute(value: unknown, what: string): DeviceAttribute {
  if (typeof value === "string") return { string: value };
  if (typeof value === "boolean") return { bool: value };
  if (typeof value === "number") return { int: value };
  if (typeof value === "bigint") {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) throw new RangeError(`${what}: ${value} does not fit a DeviceAttribute int`);
    return { int: Number(value) };
  }
  if (isSemVer(value)) return { version: `${value.major}.${value.minor}.${value.patch}` };
  throw new TypeError(`${what}: no DeviceAttribute type for ${typeof value}`);
}

/**
 * Reads the device's attributes named by the spec's `dra:` mapping and returns the ResourceSlice
 * `attributes` and `capacity` for it. Capacity values are quantities ("16Gi"). A mapping with
 * `bits: true` (capabilities) also gives one `{ bool }` per register field: `<domain>/encryption`.
 */
export async function toDeviceAttributes(device: MockAccelDevice, { domain = "mock-accel.example.com" }: DeviceAttributesOptions = {}): Promise<DraDeviceAttributes> {
  if (!DOMAIN.test(domain)) throw new RangeError(`toDeviceAttributes: domain ${JSON.stringify(domain)} is not a DNS subdomain of at most 63 characters`);
  const q = (name: string) => {
    if (!NAME.test(name)) throw new RangeError(`toDeviceAttributes: attribute name ${JSON.stringify(name)} is not a C identifier of at most 32 characters`);
    return `${domain}/${name}`;
  };
  const mapped = ATTRIBUTE_NAMES.filter(
    (n): n is ReadableAttributeName => ATTRIBUTES[n].dra !== null && ATTRIBUTES[n].readable && device.has(n as ReadableAttributeName),
  );
  const values = await Promise.all(mapped.map((n) => device.read(n)));
  const attributes: Record<string, DeviceAttribute> = {
    [q("deviceType")]: { string: device.kind },
    [q("pciAddress")]: { string: device.pciAddress },
  };
  if (device.pf !== null) {
    attributes[q("physFn")] = { string: device.pf.pciAddress };
    // The old mock-device driver's attribute (the PF's class device name), kept for claims
    // written against it; physFn, the PCI address, is the one unique on a node.
    if (device.pf.name !== null) attributes[q("physfn")] = { string: device.pf.name };
  }
  attributes[PCIE_ROOT_ATTRIBUTE] = { string: device.pcieRoot };
  const capacity: Record<string, DeviceCapacity> = {};
  mapped.forEach((n, i) => {
    const dra = ATTRIBUTES[n].dra!;
    const value = values[i];
    const what = `${device.path}/${n}`;
    if (dra.kind === "capacity") {
      if (typeof value !== "bigint" && typeof value !== "number") throw new TypeError(`${what}: capacity '${dra.name}' needs a number, got ${typeof value}`);
      capacity[q(dra.name)] = { value: bytesToQuantity(BigInt(value)) };
      if (dra.alsoAttribute !== null) attributes[q(dra.alsoAttribute)] = toAttribute(value, what);
    } else attributes[q(dra.name)] = toAttribute(value, what);
    // One bool per field the spec marks `bits: true`: a claim's CEL cannot mask an int.
    for (const bit of DRA_BIT_ATTRIBUTES) {
      if (bit.attribute !== n) continue;
      if (typeof value !== "number") throw new TypeError(`${what}: bit attribute '${bit.name}' needs a number, got ${typeof value}`);
      attributes[q(bit.name)] = { bool: (value & bit.mask) !== 0 };
    }
  });
  return { attributes, capacity };
}

/**
 * A DNS label (RFC 1123) for the device, as ResourceSlice device names require:
 * `mock0_vf0` → `mock0-vf0`.
 */
export function dnsLabelName(device: { name: string } | string): string {
  const name = typeof device === "string" ? device : device.name;
  const label = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .slice(0, 63)
    .replace(/^-+|-+$/g, "");
  if (label === "") throw new RangeError(`dnsLabelName: ${JSON.stringify(name)} has no character usable in a DNS label`);
  return label;
}
