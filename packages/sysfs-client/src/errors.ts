// Errors a DRA driver can act on. Every one names the sysfs path it is about, so a log line
// is enough to find the file; none of them is ever swallowed into a 0 or an empty value.

/** Base class: `instanceof MockAccelSysfsError` catches everything this package throws. */
export class MockAccelSysfsError extends Error {
  /** The sysfs path the error is about (a file, a directory or a link). */
  readonly path: string;
  constructor(message: string, path: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.path = path;
  }
}

/** `<root>/class/mock-accel` does not exist: the kernel module is not loaded (or root is wrong). */
export class DriverNotLoadedError extends MockAccelSysfsError {
  constructor(classPath: string) {
    super(`${classPath} does not exist: is the mock-accel kernel module loaded (or is the sysfs root wrong)?`, classPath);
  }
}

/** No class entry with this name (`client.get(name)`). */
export class DeviceNotFoundError extends MockAccelSysfsError {
  readonly deviceName: string;
  constructor(deviceName: string, path: string) {
    super(`no mock-accel device '${deviceName}': ${path} does not exist`, path);
    this.deviceName = deviceName;
  }
}

/** The attribute file is missing (wrong function kind, older driver, device gone). */
export class AttributeNotFoundError extends MockAccelSysfsError {
  readonly attribute: string;
  constructor(attribute: string, path: string, why?: string) {
    super(`${path}: attribute '${attribute}' not found${why ? ` (${why})` : ""}`, path);
    this.attribute = attribute;
  }
}

/** The kernel's text does not parse as the attribute's format. */
export class AttributeParseError extends MockAccelSysfsError {
  readonly attribute: string;
  /** The text exactly as read from the file. */
  readonly raw: string;
  constructor(attribute: string, path: string, raw: string, format: string) {
    // The text is kept whole in `raw` (at most a page); the message shows the start of it.
    const shown = raw.length <= 64 ? JSON.stringify(raw) : `${JSON.stringify(raw.slice(0, 64))}... (${raw.length} bytes)`;
    super(`${path}: cannot parse ${shown} as ${format} (attribute '${attribute}')`, path);
    this.attribute = attribute;
    this.raw = raw;
  }
}

/** Reading an attribute failed with an errno other than ENOENT (EACCES, EIO, ...). */
export class AttributeReadError extends MockAccelSysfsError {
  readonly attribute: string;
  /** errno name, e.g. "EIO". */
  readonly code: string;
  constructor(attribute: string, path: string, code: string, cause: unknown) {
    super(`${path}: reading attribute '${attribute}' failed with ${code}`, path, { cause });
    this.attribute = attribute;
    this.code = code;
  }
}

/** The kernel (or the file system) refused a write: the errno says why (EINVAL, EACCES, ...). */
export class WriteRejectedError extends MockAccelSysfsError {
  readonly attribute: string;
  /** errno name, e.g. "EINVAL". */
  readonly code: string;
  readonly value: unknown;
  constructor(attribute: string, path: string, code: string, value: unknown, cause?: unknown) {
    super(`${path}: write of ${describeValue(value)} to '${attribute}' rejected with ${code}`, path, { cause });
    this.attribute = attribute;
    this.code = code;
    this.value = value;
  }
}

/** A write was refused before the file was touched: the value breaks the spec's schema. */
export class SchemaValidationError extends MockAccelSysfsError {
  readonly attribute: string;
  readonly value: unknown;
  /** One line per failure, e.g. "/: Expected integer to be less or equal to 7". */
  readonly errors: readonly string[];
  constructor(attribute: string, path: string, value: unknown, errors: readonly string[]) {
    super(`${path}: ${describeValue(value)} is not a valid '${attribute}': ${errors.join("; ")}`, path);
    this.attribute = attribute;
    this.value = value;
    this.errors = errors;
  }
}

/** A class entry does not have the layout the kernel driver creates (no `device` link, unknown IDs). */
export class SysfsLayoutError extends MockAccelSysfsError {
  constructor(path: string, problem: string, cause?: unknown) {
    super(`${path}: ${problem}`, path, { cause });
  }
}

function describeValue(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** errno name of a Node file-system error, or "EUNKNOWN". */
export function errnoCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "EUNKNOWN";
}
