// The one rule that turns a label into a device UUID, used by every mock-accel tool: the
// device server (`-u gpu0`), topology files, and the fake sysfs trees (a device's name when the
// topology gives no UUID). A canonical UUID is taken as is; any other non-empty label is the
// RFC 4122 version-5 UUID of the label in MOCK_ACCEL_UUID_NAMESPACE. Its own entry point
// (`@mock-accel/sysfs-client/device-uuid`), so the device server loads this module only.

/** A UUID as 16 raw bytes (RFC 4122 byte order) and its canonical lower-case 8-4-4-4-12 text. */
export interface DeviceUuid {
  bytes: Uint8Array;
  canonical: string;
  /** True when the UUID was derived from a label rather than given. */
  derived: boolean;
}

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** RFC 4122 appendix C: the name space for fully-qualified domain names. */
const RFC4122_DNS_NAMESPACE = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";

export function uuidToCanonical(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new Error(`a UUID has 16 bytes, got ${bytes.length}`);
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function canonicalToBytes(text: string): Uint8Array {
  const hex = text.replaceAll("-", "");
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

interface Sha1 {
  update(data: Uint8Array | string): unknown;
  digest(): Uint8Array;
}

/**
 * SHA-1 from Bun's own hasher when running in Bun (loading node:crypto costs about 5 MB of RSS
 * in every device server process, issue 20), else from node:crypto (Node >= 20.16).
 */
function sha1(): Sha1 {
  const bun = (globalThis as { Bun?: { CryptoHasher: new (algorithm: string) => Sha1 } }).Bun;
  if (bun) return new bun.CryptoHasher("sha1");
  const { createHash } = process.getBuiltinModule("node:crypto");
  return createHash("sha1");
}

/** RFC 4122 version 5 (SHA-1, name-based) UUID of `name` in `namespace`. */
export function uuidV5(namespace: Uint8Array, name: string): Uint8Array {
  const hasher = sha1();
  hasher.update(namespace);
  hasher.update(name);
  const bytes = new Uint8Array(hasher.digest().subarray(0, 16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return bytes;
}

/**
 * Name space of label-derived device UUIDs: the version-5 UUID of the DNS name
 * "mock-accel.invalid" (a reserved TLD, so it can never collide with a real domain's).
 */
export const MOCK_ACCEL_UUID_NAMESPACE: string = uuidToCanonical(uuidV5(canonicalToBytes(RFC4122_DNS_NAMESPACE), "mock-accel.invalid"));
const NAMESPACE_BYTES = canonicalToBytes(MOCK_ACCEL_UUID_NAMESPACE);

/**
 * A canonical UUID (any case) is taken as is; any other non-empty label maps to the version-5
 * UUID of the label in MOCK_ACCEL_UUID_NAMESPACE, so `-u gpu0` gives the same UUID every run.
 */
export function uuidFromLabelOrCanonical(text: string): DeviceUuid {
  if (CANONICAL_UUID.test(text)) {
    const bytes = canonicalToBytes(text);
    return { bytes, canonical: uuidToCanonical(bytes), derived: false };
  }
  if (text.length === 0) throw new Error('invalid UUID "": give a canonical UUID (8-4-4-4-12 hex) or a non-empty label');
  const bytes = uuidV5(NAMESPACE_BYTES, text);
  return { bytes, canonical: uuidToCanonical(bytes), derived: true };
}
