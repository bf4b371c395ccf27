// Reading and writing one attribute file, with the spec's parser and schema, mapping every
// failure to a typed error. The only module that touches attribute files.
import { closeSync, constants, openSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { AttributeFiles } from "./attribute-files.ts";
import { readBoundedTextSync } from "./bounded-read.ts";
import { Value } from "@sinclair/typebox/value";
import {
  ATTRIBUTES,
  type AttributeName,
  type AttributeSpec,
  type AttributeTypes,
  type ReadableAttributeName,
  type WritableAttributeName,
} from "./generated/attributes.ts";
import {
  AttributeNotFoundError,
  AttributeParseError,
  AttributeReadError,
  SchemaValidationError,
  WriteRejectedError,
  errnoCode,
} from "./errors.ts";

export type DeviceKind = "pf" | "vf";

/** Whether the driver shows this attribute on a function of this kind (its `is_visible`). */
export function isVisibleOn(name: AttributeName, kind: DeviceKind): boolean {
  const functions = ATTRIBUTES[name].functions;
  return functions === "all" || functions === kind;
}

function spec<N extends AttributeName>(name: N): AttributeSpec<N> {
  // The mapped type indexes to AttributeSpec<N>; TypeScript cannot see that through a generic N.
  return ATTRIBUTES[name] as unknown as AttributeSpec<N>;
}

function checkKnown(name: string, dir: string): void {
  if (!Object.hasOwn(ATTRIBUTES, name)) throw new AttributeNotFoundError(name, join(dir, name), "not in spec/registers.yaml");
}

/** `files`: the client's kept-open attribute files; without it each read opens the file. */
export async function readAttribute<N extends ReadableAttributeName>(
  dir: string,
  kind: DeviceKind,
  name: N,
  files?: AttributeFiles,
): Promise<AttributeTypes[N]> {
  checkKnown(name, dir);
  const s = spec(name);
  // Not join(): the name is a known attribute (no slash, no dot segment) and this runs on every
  // read, where a TCG guest pays for each native call (issue 20).
  const path = dir.endsWith("/") ? dir + name : `${dir}/${name}`;
  if (!s.readable) throw new AttributeNotFoundError(name, path, "write-only");
  if (!isVisibleOn(name, kind)) throw new AttributeNotFoundError(name, path, `${s.functions.toUpperCase()}-only, this is a ${kind.toUpperCase()}`);
  let raw: string;
  try {
    raw = files === undefined ? readBoundedTextSync(path) : files.read(path);
  } catch (err) {
    if (errnoCode(err) === "ENOENT") throw new AttributeNotFoundError(name, path);
    throw new AttributeReadError(name, path, errnoCode(err), err);
  }
  const value = s.parse(raw);
  if (value === undefined) throw new AttributeParseError(name, path, raw, s.textFormat);
  return value;
}

/**
 * Write bounds the schema cannot hold because they are another attribute's current value
 * (spec `write: { max: SRIOV_TOTAL_VFS }`, generated as `writeMaxAttribute`). The kernel
 * answers EINVAL; a fake tree cannot, so the client checks first.
 */
async function checkDynamicBound(dir: string, kind: DeviceKind, name: WritableAttributeName, path: string, value: unknown): Promise<void> {
  const bound = ATTRIBUTES[name].writeMaxAttribute;
  if (bound === null || (typeof value !== "number" && typeof value !== "bigint")) return;
  const max = await readAttribute(dir, kind, bound);
  if (typeof max === "number" || typeof max === "bigint") {
    if (BigInt(value) > BigInt(max)) throw new SchemaValidationError(name, path, value, [`/: Expected at most ${bound} (${max})`]);
  }
}

/** Any write bit: kernfs refuses to open an attribute for writing without one, even for root. */
const WRITE_BITS = 0o222;

export async function writeAttribute<N extends WritableAttributeName>(
  dir: string,
  kind: DeviceKind,
  name: N,
  value: AttributeTypes[N],
): Promise<void> {
  checkKnown(name, dir);
  const s = spec(name);
  const path = join(dir, name);
  if (!s.writable) throw new WriteRejectedError(name, path, "EACCES", value);
  if (!isVisibleOn(name, kind)) throw new AttributeNotFoundError(name, path, `${s.functions.toUpperCase()}-only, this is a ${kind.toUpperCase()}`);
  if (!Value.Check(s.schema, value)) {
    const errors = [...Value.Errors(s.schema, value)].map((e) => `${e.path || "/"}: ${e.message}`);
    throw new SchemaValidationError(name, path, value, errors.length > 0 ? errors : ["does not match the schema"]);
  }
  await checkDynamicBound(dir, kind, name, path, value);
  const text = s.format(value);
  try {
    // Real sysfs refuses a write-bit-less attribute at open() for everyone; a fake tree is plain
    // files that root could write anyway, so check the mode the way kernfs does.
    // Synchronous system calls, as in bounded-read.ts: four thread-pool round trips cost far
    // more than the store itself (issue 20).
    const st = statSync(path);
    // A sysfs attribute is a regular file; a FIFO's open for writing would wait for a reader.
    if (!st.isFile()) throw Object.assign(new Error("not a regular file"), { code: "EINVAL" });
    if ((st.mode & WRITE_BITS) === 0) throw Object.assign(new Error("no write permission bit"), { code: "EACCES" });
    // O_TRUNC as `echo > attr` does (sysfs ignores it; a fake file needs it); never O_CREAT.
    // O_NONBLOCK: a FIFO swapped in after the stat fails with ENXIO instead of blocking.
    const fd = openSync(path, constants.O_WRONLY | constants.O_TRUNC | constants.O_NONBLOCK);
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if (errnoCode(err) === "ENOENT") throw new AttributeNotFoundError(name, path);
    throw new WriteRejectedError(name, path, errnoCode(err), value, err);
  }
}
