// The CEL environment the Kubernetes scheduler gives DRA selectors, enough of it to evaluate
// our DeviceClasses and example claims with @bufbuild/cel: `device.driver`,
// `device.attributes[domain].id`, `device.capacity[domain].id`, `quantity()` and its
// comparison methods. Simplification: a Quantity is modelled as an int of base units, exact
// for the integer quantities devices publish; version attributes are plain strings.
import { celFunc, celMethod, CelScalar, isCelError, run } from "@bufbuild/cel";
import type { V1Device } from "@kubernetes/client-node";

const SUFFIX: Record<string, bigint> = {
  "": 1n, Ki: 1n << 10n, Mi: 1n << 20n, Gi: 1n << 30n, Ti: 1n << 40n, Pi: 1n << 50n, Ei: 1n << 60n,
  k: 10n ** 3n, M: 10n ** 6n, G: 10n ** 9n, T: 10n ** 12n, P: 10n ** 15n, E: 10n ** 18n,
};

export function parseQuantity(text: string): bigint {
  const m = /^(\d+)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/.exec(text);
  if (!m) throw new Error(`quantity ${JSON.stringify(text)}: only integer quantities are modelled here`);
  return BigInt(m[1]!) * SUFFIX[m[2] ?? ""]!;
}

const cmp = (a: bigint, b: bigint) => (a < b ? -1n : a > b ? 1n : 0n);
const FUNCS = [
  celFunc("quantity", [CelScalar.STRING], CelScalar.INT, (s: string) => parseQuantity(s)),
  celMethod("compareTo", CelScalar.INT, [CelScalar.INT], CelScalar.INT, function (this: bigint, o: bigint) { return cmp(this, o); }),
  celMethod("isGreaterThan", CelScalar.INT, [CelScalar.INT], CelScalar.BOOL, function (this: bigint, o: bigint) { return this > o; }),
  celMethod("isLessThan", CelScalar.INT, [CelScalar.INT], CelScalar.BOOL, function (this: bigint, o: bigint) { return this < o; }),
  celMethod("asInteger", CelScalar.INT, [], CelScalar.INT, function (this: bigint) { return this; }),
];

function split(qualified: string, driver: string): [string, string] {
  const i = qualified.lastIndexOf("/");
  return i < 0 ? [driver, qualified] : [qualified.slice(0, i), qualified.slice(i + 1)];
}

/** The `device` variable for one published device. */
export function celDevice(driver: string, device: V1Device): Map<string, unknown> {
  const attributes = new Map<string, Map<string, unknown>>();
  for (const [name, a] of Object.entries(device.attributes ?? {})) {
    const [domain, id] = split(name, driver);
    const value = a._int !== undefined ? BigInt(a._int) : a.bool ?? a.string ?? a.version;
    if (!attributes.has(domain)) attributes.set(domain, new Map());
    attributes.get(domain)!.set(id, value);
  }
  const capacity = new Map<string, Map<string, bigint>>();
  for (const [name, c] of Object.entries(device.capacity ?? {})) {
    const [domain, id] = split(name, driver);
    if (!capacity.has(domain)) capacity.set(domain, new Map());
    capacity.get(domain)!.set(id, parseQuantity(c.value));
  }
  return new Map<string, unknown>([["driver", driver], ["attributes", attributes], ["capacity", capacity], ["allowMultipleAllocations", false]]);
}

/** Evaluates a selector as the scheduler does: it must yield a bool; an error is a failure, never a silent "no". */
export function selects(expression: string, device: Map<string, unknown>): boolean {
  // run()'s binding type does not admit Map<string, unknown>; the values are CEL inputs by construction.
  const result = run(expression, { device: device as never }, { funcs: FUNCS });
  if (isCelError(result)) throw new Error(`CEL ${JSON.stringify(expression)} on device: ${result.message}`);
  if (typeof result !== "boolean") throw new Error(`CEL ${JSON.stringify(expression)}: result is ${typeof result}, a selector must yield bool`);
  return result;
}
