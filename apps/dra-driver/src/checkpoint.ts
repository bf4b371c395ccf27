// The record of every claim whose side effects (STATUS bits, CDI spec) may exist on this node, so
// a restarted plugin can undo what its predecessor did. A record is written before the first
// side effect and deleted after the last one is undone, each time durably before the call
// returns, and never torn: the checkpoint is two files (`checkpoint.json` and
// `checkpoint.json.alt`), each holding a whole version with its generation number and a
// SHA-256 of it. A write goes over the file that does not hold the newest version, in place,
// with one fdatasync (a rename needs an fsync of the file and one of the directory: 1.9 ms
// against 0.3 ms on this project's CI disk); a load takes the newest intact file. A write cut
// short by a crash leaves that file torn (its hash does not match) and the other one intact with
// the version before it: the one the kubelet's retry starts from. Why nothing else needs an
// fsync is in the README's "Crash safety" section.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, rmSync } from "node:fs";
import { dirname, basename, join } from "node:path";
import { Type, type Static } from "@sinclair/typebox";
import { Value, type ValueError } from "@sinclair/typebox/value";
import { fsyncPath, overwriteFileDurably, writeFileAtomic } from "./atomic-write.ts";
import { canonicalJson } from "./canonical-json.ts";
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
   * Always written as "preparing": the record is an intent, written before any device is
   * touched, and says only that these devices may carry this claim's side effects. Whether the
   * claim is fully prepared is known only to the process that prepared it (isPrepared); after a
   * restart a retried prepare redoes every step. "prepared", written by earlier versions once
   * every side effect was done, is read the same way.
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

/** The record itself, checked against the schema: a bad field is refused, never skipped. */
function validate(path: string, raw: unknown, driverName: string, at = ""): CheckpointData {
  const first = Value.Errors(CheckpointSchema, raw).First();
  if (first) {
    // A key that is not a UID is an "unexpected property" of the record: say what is wrong with it.
    const key = /^\/claims\/([^/]+)$/.exec(first.path)?.[1];
    if (key !== undefined && first.message === "Unexpected property") {
      fail(path, `${at}/claims`, `key ${JSON.stringify(key.replaceAll("~1", "/").replaceAll("~0", "~"))} is not a claim UID (8-4-4-4-12 hexadecimal digits)`);
    }
    fail(path, `${at}${first.path}` || "(file)", describeError(first));
  }
  const data = raw as CheckpointData;
  if (data.driverName !== driverName) fail(path, `${at}/driverName`, `written by driver ${JSON.stringify(data.driverName)}, this is ${driverName}`);
  return data;
}

/** The hash a version file carries: over its generation and its record as compact JSON. */
function versionHash(generation: number, data: unknown): string {
  return createHash("sha256").update(`${generation}\n${JSON.stringify(data)}`).digest("hex");
}

/** What one of the two files holds: a whole version, nothing, or the remains of a write cut short. */
type FileState =
  | { kind: "missing" }
  | { kind: "torn"; error: CheckpointError }
  | { kind: "version"; generation: number; data: CheckpointData };

function readVersionFile(path: string, driverName: string): FileState {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { kind: "missing" };
    throw err;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { kind: "torn", error: new CheckpointError(`${path}: (file): not JSON: ${(err as Error).message}`) };
  }
  const wrapper = raw as { generation?: unknown; sha256?: unknown; data?: unknown } | null;
  if (typeof wrapper !== "object" || wrapper === null || !("sha256" in wrapper)) {
    // An earlier version's only file, always replaced by a rename: never torn, so every fault
    // in it is the record's own.
    return { kind: "version", generation: 0, data: validate(path, raw, driverName) };
  }
  const { generation, sha256, data } = wrapper;
  if (typeof generation !== "number" || !Number.isSafeInteger(generation) || generation < 1) fail(path, "/generation", `expected a positive integer, found ${JSON.stringify(generation)}`);
  if (sha256 !== versionHash(generation, data)) return { kind: "torn", error: new CheckpointError(`${path}: /sha256: does not match the record (a write cut short, or an edit)`) };
  return { kind: "version", generation, data: validate(path, data, driverName, "/data") };
}

function stagingPrefix(path: string): string {
  return `.${basename(path)}.`;
}

/** Temporary files of predecessors killed inside write(): never renamed, so never the checkpoint. */
function removeStagingFiles(path: string): void {
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  const prefix = stagingPrefix(path);
  for (const name of names) if (name.startsWith(prefix) && name.endsWith(".tmp")) rmSync(join(dirname(path), name), { force: true });
}

/** The two files of the checkpoint at `path`: `path` itself and `<path>.alt`. */
export function checkpointFiles(path: string): [string, string] {
  return [path, `${path}.alt`];
}

export class Checkpoint {
  /** The newest version, durably: loaded and synced at start, or written with fdatasync. */
  private data: CheckpointData;
  private generation: number;
  /** Which of `files` holds `data` (the next write goes over the other); null before the first. */
  private newest: 0 | 1 | null;
  private readonly files: [string, string];
  /** Claims whose every side effect this process has done since it started. Never written: see CheckpointClaim.state. */
  private readonly prepared = new Set<string>();

  private constructor(readonly path: string, data: CheckpointData, generation: number, newest: 0 | 1 | null) {
    this.data = data;
    this.generation = generation;
    this.newest = newest;
    this.files = checkpointFiles(path);
  }

  /**
   * Reads the newest intact version, or starts an empty checkpoint when there is none. A file
   * torn by a write cut short is passed over when the other holds a version; anything else
   * wrong (a bad field, both files torn) is an error: guessing would leak or double-free devices.
   */
  static load(path: string, driverName: string): Checkpoint {
    removeStagingFiles(path);
    const files = checkpointFiles(path);
    const states = files.map((f) => readVersionFile(f, driverName));
    const versions = states.flatMap((st, file) => (st.kind === "version" ? [{ ...st, file: file as 0 | 1 }] : []));
    const found = versions.reduce<(typeof versions)[number] | undefined>((best, v) => (best === undefined || v.generation > best.generation ? v : best), undefined);
    if (found === undefined) {
      const torn = states.flatMap((st) => (st.kind === "torn" ? [st.error.message] : []));
      if (torn.length > 0) throw new CheckpointError(torn.join("; "));
      return new Checkpoint(path, { version: CHECKPOINT_VERSION, driverName, claims: {} }, 0, null);
    }
    // A predecessor killed before its fdatasync (or between a rename and its directory fsync)
    // left a version that is read here but may not survive a power loss. Synced once now, so
    // that set() may trust every record it holds to be on disk already.
    fsyncPath(files[found.file]);
    fsyncPath(dirname(path));
    return new Checkpoint(path, found.data, found.generation, found.file);
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

  /**
   * Records (durably, before it returns) that the claim's devices may carry its side effects.
   * The claim counts as not prepared until markPrepared. A record equal to the one on disk is
   * not written again (a prepare retried after a restart).
   */
  set(uid: string, claim: CheckpointClaim): void {
    this.prepared.delete(uid);
    const known = this.data.claims[uid];
    if (known !== undefined && canonicalJson(known) === canonicalJson(claim)) return;
    const next = { ...this.data, claims: { ...this.data.claims, [uid]: claim } };
    this.write(next);
  }

  /** Every side effect of the recorded claim is done. Memory only: nothing on disk changes. */
  markPrepared(uid: string): void {
    if (!(uid in this.data.claims)) throw new Error(`claim ${uid}: marked prepared without a record in the checkpoint`);
    this.prepared.add(uid);
  }

  /** Prepared by this process since it started (a record loaded from the file never is). */
  isPrepared(uid: string): boolean {
    return this.prepared.has(uid);
  }

  delete(uid: string): void {
    this.prepared.delete(uid);
    if (!(uid in this.data.claims)) return;
    const claims = { ...this.data.claims };
    delete claims[uid];
    this.write({ ...this.data, claims });
  }

  /**
   * Writes `next` as a new version over the file that does not hold the newest, so a write cut
   * short leaves the newest intact. Memory changes only after the write is durable, so a failed
   * write leaves the checkpoint in its old state.
   */
  private write(next: CheckpointData): void {
    const target: 0 | 1 = this.newest === 0 ? 1 : 0;
    const path = this.files[target];
    const generation = this.generation + 1;
    const text = `${JSON.stringify({ generation, sha256: versionHash(generation, next), data: next }, null, 2)}\n`;
    try {
      overwriteFileDurably(path, text);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      // A new file exists durably only once its directory entry does: the one time it costs a
      // rename and a directory fsync.
      const stagingPath = join(dirname(path), `${stagingPrefix(this.path)}${process.pid}.tmp`);
      writeFileAtomic(path, text, { mode: 0o600, stagingPath, durable: true });
    }
    this.data = next;
    this.generation = generation;
    this.newest = target;
  }
}
