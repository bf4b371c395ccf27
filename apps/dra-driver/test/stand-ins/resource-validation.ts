// What the real API server refuses in a resource.k8s.io/v1 ResourceSlice, beyond the OpenAPI
// shape that kubernetes-models checks: the rules of k8s.io/kubernetes
// pkg/apis/resource/validation (names, attribute keys and values, limits).
import { ResourceSlice } from "kubernetes-models/resource.k8s.io/v1/ResourceSlice";
import type { IResourceSlice } from "kubernetes-models/resource.k8s.io/v1/ResourceSlice";

export const MAX_DEVICES_PER_SLICE = 128;
export const MAX_ATTRIBUTES_AND_CAPACITIES_PER_DEVICE = 32;
const MAX_ID_LENGTH = 32;
const MAX_DOMAIN_LENGTH = 63;
const MAX_ATTRIBUTE_STRING_LENGTH = 64;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?\d+))?$/;

export function isDnsLabel(s: string): boolean {
  return s.length <= 63 && DNS_LABEL.test(s);
}

export function isDnsSubdomain(s: string): boolean {
  return s.length > 0 && s.length <= 253 && s.split(".").every((p) => DNS_LABEL.test(p));
}

/** A C identifier, optionally prefixed by `<DNS subdomain>/`: the key rule for attributes and capacities. */
function qualifiedNameErrors(path: string, name: string): string[] {
  const slash = name.indexOf("/");
  const domain = slash >= 0 ? name.slice(0, slash) : undefined;
  const id = slash >= 0 ? name.slice(slash + 1) : name;
  const errors: string[] = [];
  if (domain !== undefined && (!isDnsSubdomain(domain) || domain.length > MAX_DOMAIN_LENGTH)) {
    errors.push(`${path}: Invalid value: "${name}": the domain must be a DNS subdomain of at most ${MAX_DOMAIN_LENGTH} characters`);
  }
  if (!C_IDENTIFIER.test(id) || id.length > MAX_ID_LENGTH) {
    errors.push(`${path}: Invalid value: "${name}": the name must be a C identifier of at most ${MAX_ID_LENGTH} characters`);
  }
  return errors;
}

/** Unknown fields: the real server drops them silently, which hides bugs; this stand-in refuses them. */
function unknownFields(path: string, obj: object, known: readonly string[]): string[] {
  return Object.keys(obj).filter((k) => !known.includes(k)).map((k) => `${path}.${k}: Unsupported field (the real API server would drop it)`);
}

const SPEC_FIELDS = ["driver", "pool", "nodeName", "nodeSelector", "allNodes", "perDeviceNodeSelection", "devices", "sharedCounters"];
const DEVICE_FIELDS = ["name", "attributes", "capacity", "consumesCounters", "nodeName", "nodeSelector", "allNodes", "taints", "bindsToNode", "bindingConditions", "bindingFailureConditions", "allowMultipleAllocations"];

export function validateResourceSlice(obj: unknown): string[] {
  const errors: string[] = [];
  try {
    new ResourceSlice(obj as IResourceSlice).validate();
  } catch (err) {
    errors.push(String((err as Error).message));
    return errors;
  }
  const slice = obj as IResourceSlice;
  const name = slice.metadata?.name;
  if (name !== undefined && !isDnsSubdomain(name)) errors.push(`metadata.name: Invalid value: "${name}": must be a DNS subdomain`);
  if (name === undefined && slice.metadata?.generateName === undefined) errors.push("metadata.name: Required value");
  const spec = slice.spec;
  errors.push(...unknownFields("spec", spec, SPEC_FIELDS));
  if (!isDnsSubdomain(spec.driver) || spec.driver.length > 63) errors.push(`spec.driver: Invalid value: "${spec.driver}": must be a DNS subdomain of at most 63 characters`);
  const pool = spec.pool;
  if (pool.name.length === 0 || pool.name.length > 253 || !pool.name.split("/").every(isDnsSubdomain)) {
    errors.push(`spec.pool.name: Invalid value: "${pool.name}": each /-separated part must be a DNS subdomain`);
  }
  if (pool.resourceSliceCount <= 0) errors.push(`spec.pool.resourceSliceCount: Invalid value: ${pool.resourceSliceCount}: must be greater than zero`);
  if (pool.generation < 0) errors.push(`spec.pool.generation: Invalid value: ${pool.generation}: must be greater than or equal to 0`);
  const selectors = [spec.nodeName !== undefined && spec.nodeName !== "", spec.nodeSelector !== undefined, spec.allNodes === true, spec.perDeviceNodeSelection === true];
  if (selectors.filter(Boolean).length !== 1) errors.push("spec: Invalid value: exactly one of `nodeName`, `nodeSelector`, `allNodes`, `perDeviceNodeSelection` is required");
  if (spec.nodeName && !isDnsSubdomain(spec.nodeName)) errors.push(`spec.nodeName: Invalid value: "${spec.nodeName}": must be a DNS subdomain`);
  const devices = spec.devices ?? [];
  if (devices.length > MAX_DEVICES_PER_SLICE) errors.push(`spec.devices: Too many: ${devices.length}: must have at most ${MAX_DEVICES_PER_SLICE} items`);
  const seen = new Set<string>();
  devices.forEach((device, i) => {
    const at = `spec.devices[${i}]`;
    errors.push(...unknownFields(at, device, DEVICE_FIELDS));
    if (!isDnsLabel(device.name)) errors.push(`${at}.name: Invalid value: "${device.name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'`);
    if (seen.has(device.name)) errors.push(`${at}.name: Duplicate value: "${device.name}"`);
    seen.add(device.name);
    const attributes = device.attributes ?? {};
    const capacity = device.capacity ?? {};
    const total = Object.keys(attributes).length + Object.keys(capacity).length;
    if (total > MAX_ATTRIBUTES_AND_CAPACITIES_PER_DEVICE) {
      errors.push(`${at}: Too many: ${total}: must have at most ${MAX_ATTRIBUTES_AND_CAPACITIES_PER_DEVICE} attributes and capacities combined`);
    }
    // Attributes and capacities are two name sets: a name may be both (the real API server
    // accepts `memory` as an int attribute and as a capacity, as real-control-plane.test.ts shows).
    const qualify = (key: string): string => (key.includes("/") ? key : `${spec.driver}/${key}`);
    let qualified = new Set<string>();
    for (const [key, value] of Object.entries(attributes)) {
      const kat = `${at}.attributes[${key}]`;
      errors.push(...qualifiedNameErrors(kat, key));
      if (qualified.has(qualify(key))) errors.push(`${kat}: Duplicate value: "${key}"`);
      qualified.add(qualify(key));
      errors.push(...unknownFields(kat, value, ["bool", "int", "string", "version"]));
      const set = (["bool", "int", "string", "version"] as const).filter((k) => value[k] !== undefined);
      if (set.length !== 1) errors.push(`${kat}: Invalid value: exactly one value must be specified`);
      if (value.string !== undefined && value.string.length > MAX_ATTRIBUTE_STRING_LENGTH) errors.push(`${kat}.string: Too long: may not be more than ${MAX_ATTRIBUTE_STRING_LENGTH} bytes`);
      if (value.version !== undefined && (!SEMVER.test(value.version) || value.version.length > MAX_ATTRIBUTE_STRING_LENGTH)) {
        errors.push(`${kat}.version: Invalid value: "${value.version}": must be a string compatible with semver.org spec 2.0.0`);
      }
    }
    qualified = new Set<string>();
    for (const [key, value] of Object.entries(capacity)) {
      const kat = `${at}.capacity[${key}]`;
      errors.push(...qualifiedNameErrors(kat, key));
      if (qualified.has(qualify(key))) errors.push(`${kat}: Duplicate value: "${key}"`);
      qualified.add(qualify(key));
      if (typeof value.value !== "string" || !QUANTITY.test(value.value)) errors.push(`${kat}.value: Invalid value: ${JSON.stringify(value.value)}: must be a quantity`);
    }
  });
  return errors;
}
