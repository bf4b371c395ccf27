// The record of every claim this plugin has prepared on this node, so a restarted plugin can
// unprepare what its predecessor prepared. Written atomically (temporary file in the same
// directory, fsync, rename, fsync of the directory): after a crash the file is either the old
// or the new version, never a torn one.
import { readFileSync } from "node:fs";
import { dirname, basename, join } from "node:path";
import { Type, type Static } from "@sinclair/typebox";
import { Value, type ValueError } from "@sinclair/typebox/value";
import { writeFileAtomic } from "./atomic-write.ts";
import { UID_PATTERN } from "./claim-uid.ts";

export const CHECKPOINT_VERSION = 1;

// The whole file is checked against this schema at load: a restarted plugin acts on every
// field (which STATUS bits to clear, which spec files to remove), so a file that does not have
// this shape is refused, naming the field, before anything uses it.
const DeviceSchema = Type.Object({
  /** The DRA device name published in the ResourceSlice (a DNS label, `mock0-vf0`). */
  deviceName: Type.String({ minLength: 1 }),
  poolName: Type.String({ minLength: 1 }),
  requestNames: Type.Array(Type.String()),
  cdiDeviceIds: Type.Array(Type.String()),
  /** Prepared for admin access only: its STATUS bit is not this claim's to set or clear. */
  adminAccess: Type.Optional(Type.Boolean()),
});

const ClaimSchema = Type.Object({
  namespace: Type.String(),
  name: Type.String(),
  /**
   * "preparing" is written before any device is touched, so a plugin killed half-way still
   * knows which devices it may have marked; "prepared" once every side effect is done.
   */
  state: Type.Union([Type.Literal("preparing"), Type.Literal("prepared")]),
  devices: Type.Array(DeviceSchema),
});

const CheckpointSchema = Type.Object({
  version: Type.Literal(CHECKPOINT_VERSION),
  driverName: Type.String(),
  /** Keyed by claim UID (which names the claim's CDI spec file, so it must have a UID's shape). */
  claims: Type.Record(Type.String({ pattern: UID_PATTERN }), ClaimSchema, { additionalProperties: false }),
});

/** One device of a prepared claim, with what is needed to undo its preparation. */
export type CheckpointDevice = Static<typeof DeviceSchema>;
export type CheckpointClaim = Static<typeof ClaimSchema>;
export type CheckpointData = Static<typeof CheckpointSchema>;

/** A checkpoint file that cannot be used; its message is one line naming the file and the field. */
export class CheckpointError extends Error {
  override name = "CheckpointError";
}

function fail(path: string, field: string, what: string): never {
  throw new CheckpointError(`${path}: ${field}: ${what}`);
}

/** TypeBox says "Expected union value" for a bad enum; say which values are allowed instead. */
function describeError(e: ValueError): string {
  const options = (e.schema as { anyOf?: { const?: unknown }[] }).anyOf;
  const expected = options?.every((o) => o.const !== undefined) ? `expected one of ${options.map((o) => JSON.stringify(o.const)).join(", ")}` : e.message.replace(/^Expected/, "expected");
  if (e.value === undefined) return expected === "expected required property" ? "required field is missing" : expected;
  const found = JSON.stringify(e.value) ?? String(e.value);
  return `${expected}, found ${found.length > 60 ? `${found.slice(0, 60)}…` : found}`;
}

function parse(path: string, text: string, driverName: string): CheckpointData {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    fail(path, "(file)", `not JSON: ${(err as Error).message}`);
  }
  const first = Value.Errors(CheckpointSchema, raw).First();
  if (first) {
    // A key that is not a UID is an "unexpected property" of the record: say what is wrong with it.
    const key = /^\/claims\/([^/]+)$/.exec(first.path)?.[1];
    if (key !== undefined && first.message === "Unexpected property") {
      fail(path, "/claims", `key ${JSON.stringify(key.replaceAll("~1", "/").replaceAll("~0", "~"))} is not a claim UID (8-4-4-4-12 hexadecimal digits)`);
    }
    fail(path, first.path || "(file)", describeError(first));
  }
  const data = raw as CheckpointData;
  if (data.driverName !== driverName) fail(path, "/driverName", `written by driver ${JSON.stringify(data.driverName)}, this is ${driverName}`);
  return data;
}

export class Checkpoint {
  private data: CheckpointData;

  private constructor(readonly path: string, data: CheckpointData) {
    this.data = data;
  }

  /** Reads the checkpoint, or starts an empty one when the file does not exist. A corrupt file is an error: guessing would leak or double-free devices. */
  static load(path: string, driverName: string): Checkpoint {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      return new Checkpoint(path, { version: CHECKPOINT_VERSION, driverName, claims: {} });
    }
    return new Checkpoint(path, parse(path, text, driverName));
  }

  claims(): Readonly<Record<string, CheckpointClaim>> {
    return this.data.claims;
  }

  get(uid: string): CheckpointClaim | undefined {
    return this.data.claims[uid];
  }

  /** The claim UID holding `deviceName` for use (admin access holds nothing), if any. */
  holder(deviceName: string): string | undefined {
    for (const [uid, claim] of Object.entries(this.data.claims)) {
      if (claim.devices.some((d) => d.deviceName === deviceName && !d.adminAccess)) return uid;
    }
    return undefined;
  }

  set(uid: string, claim: CheckpointClaim): void {
    const next = { ...this.data, claims: { ...this.data.claims, [uid]: claim } };
    this.write(next);
  }

  delete(uid: string): void {
    if (!(uid in this.data.claims)) return;
    const claims = { ...this.data.claims };
    delete claims[uid];
    this.write({ ...this.data, claims });
  }

  /** Memory changes only after the file is durably replaced, so a failed write leaves both in the old state. */
  private write(next: CheckpointData): void {
    const stagingPath = join(dirname(this.path), `.${basename(this.path)}.${process.pid}.tmp`);
    // The rename is durable only once the directory entry is on disk: a restarted plugin acts on this file.
    writeFileAtomic(this.path, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600, stagingPath, syncDirectory: true });
    this.data = next;
  }
}
