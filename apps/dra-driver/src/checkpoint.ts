// The record of every claim this plugin has prepared on this node, so a restarted plugin can
// unprepare what its predecessor prepared. Written atomically (temporary file in the same
// directory, fsync, rename, fsync of the directory): after a crash the file is either the old
// or the new version, never a torn one.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, basename, join } from "node:path";

export const CHECKPOINT_VERSION = 1;

/** One device of a prepared claim, with what is needed to undo its preparation. */
export interface CheckpointDevice {
  /** The DRA device name published in the ResourceSlice (a DNS label, `mock0-vf0`). */
  deviceName: string;
  poolName: string;
  requestNames: string[];
  cdiDeviceIds: string[];
  /** Prepared for admin access only: its STATUS bit is not this claim's to set or clear. */
  adminAccess?: boolean;
}

export interface CheckpointClaim {
  namespace: string;
  name: string;
  /**
   * "preparing" is written before any device is touched, so a plugin killed half-way still
   * knows which devices it may have marked; "prepared" once every side effect is done.
   */
  state: "preparing" | "prepared";
  devices: CheckpointDevice[];
}

export interface CheckpointData {
  version: number;
  driverName: string;
  /** Keyed by claim UID. */
  claims: Record<string, CheckpointClaim>;
}

function fail(path: string, field: string, what: string): never {
  throw new Error(`${path}: ${field}: ${what}`);
}

function parse(path: string, text: string, driverName: string): CheckpointData {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    fail(path, "(file)", `not JSON: ${(err as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null) fail(path, "(file)", "expected an object");
  const data = raw as Partial<CheckpointData>;
  if (data.version !== CHECKPOINT_VERSION) fail(path, "version", `expected ${CHECKPOINT_VERSION}, found ${JSON.stringify(data.version)}`);
  if (data.driverName !== driverName) fail(path, "driverName", `written by driver ${JSON.stringify(data.driverName)}, this is ${driverName}`);
  if (typeof data.claims !== "object" || data.claims === null) fail(path, "claims", "expected an object keyed by claim UID");
  for (const [uid, claim] of Object.entries(data.claims)) {
    if (claim.state !== "preparing" && claim.state !== "prepared") fail(path, `claims.${uid}.state`, `expected "preparing" or "prepared"`);
    if (!Array.isArray(claim.devices)) fail(path, `claims.${uid}.devices`, "expected an array");
    claim.devices.forEach((d, i) => {
      if (typeof d.deviceName !== "string") fail(path, `claims.${uid}.devices[${i}].deviceName`, "expected a string");
    });
  }
  return data as CheckpointData;
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
    const dir = dirname(this.path);
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, `.${basename(this.path)}.${process.pid}.tmp`);
    try {
      const fd = openSync(tmp, "w", 0o600);
      try {
        writeSync(fd, `${JSON.stringify(next, null, 2)}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.path);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
    // The rename is durable only once the directory entry is on disk.
    const dirFd = openSync(dir, "r");
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
    this.data = next;
  }
}
