// Container Device Interface spec files, one per prepared claim. Each claim gets its own spec
// file and its own CDI device names (`<claim uid>-<device>`), so two claims never share a CDI
// device and removing one claim's file cannot affect another's containers.
import { rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { writeFileAtomic } from "./atomic-write.ts";
import type { ClaimUid } from "./claim-uid.ts";

export const CDI_CLASS = "claim";

/** What a container needs to use one device. */
export interface CdiDeviceInfo {
  /** DRA device name (DNS label). */
  deviceName: string;
  /** Kernel name: `mock0`, `mock0_vf1`. */
  kernelName: string;
  devNode: string;
  uuid: string;
  pciAddress: string;
  /** The device's class directory on the host, mounted read-only at the same path. */
  classDir: string;
}

export interface CdiContainerEdits {
  env?: string[];
  deviceNodes?: { path: string; hostPath?: string; permissions?: string }[];
  mounts?: { hostPath: string; containerPath: string; type?: string; options?: string[] }[];
}

export interface CdiSpec {
  cdiVersion: string;
  kind: string;
  devices: { name: string; containerEdits: CdiContainerEdits }[];
  containerEdits?: CdiContainerEdits;
}

export function cdiKind(driverName: string): string {
  return `${driverName}/${CDI_CLASS}`;
}

export function cdiDeviceName(claimUid: string, deviceName: string): string {
  return `${claimUid}-${deviceName}`;
}

export function cdiDeviceId(driverName: string, claimUid: string, deviceName: string): string {
  return `${cdiKind(driverName)}=${cdiDeviceName(claimUid, deviceName)}`;
}

/**
 * `<vendor>-<class>_<uid>.json`, the transient-spec naming of the CDI reference library. Built
 * only from checked parts (a validated UID, the driver name checked as a DNS subdomain at start),
 * and checked once more to name a file directly inside the CDI directory.
 */
export function cdiSpecPath(cdiDir: string, driverName: string, claimUid: ClaimUid): string {
  const path = join(cdiDir, `${driverName}-${CDI_CLASS}_${claimUid}.json`);
  if (dirname(resolve(path)) !== resolve(cdiDir)) throw new Error(`CDI spec path ${path} is not directly inside ${cdiDir}`);
  return path;
}

/**
 * The oldest CDI spec version that has every feature `spec` uses, by the rule of the CDI
 * reference library (tags.cncf.io/container-device-interface specs-go MinimumRequiredVersion),
 * for the fields this driver can write. Writing the minimum lets the oldest runtime that can
 * apply the spec read it; a runtime refuses a version newer than it knows.
 *   0.6.0: a dot in the kind's class (annotations too, which we never write)
 *   0.5.0: a device name starting with a digit (claim UIDs often do), a device node hostPath
 *   0.4.0: a mount type
 *   0.3.0: the earliest version the library still accepts
 */
export function minimumCdiVersion(spec: Omit<CdiSpec, "cdiVersion">): string {
  const edits = [spec.containerEdits, ...spec.devices.map((d) => d.containerEdits)].filter((e): e is CdiContainerEdits => e !== undefined);
  const cls = spec.kind.includes("/") ? spec.kind.slice(spec.kind.indexOf("/") + 1) : undefined;
  if (cls?.includes(".")) return "0.6.0";
  if (spec.devices.some((d) => /^[0-9]/.test(d.name)) || edits.some((e) => e.deviceNodes?.some((n) => n.hostPath))) return "0.5.0";
  if (edits.some((e) => e.mounts?.some((m) => m.type))) return "0.4.0";
  return "0.3.0";
}

/** A claim's spec: one CDI device per DRA device. A spec without devices is invalid CDI (runtimes refuse the whole file). */
export function buildCdiSpec(driverName: string, claimUid: ClaimUid, devices: readonly CdiDeviceInfo[]): CdiSpec {
  if (devices.length === 0) throw new Error(`claim ${claimUid}: no devices to put in a CDI spec`);
  const spec: Omit<CdiSpec, "cdiVersion"> = {
    kind: cdiKind(driverName),
    devices: devices.map((d) => ({
      name: cdiDeviceName(claimUid, d.deviceName),
      containerEdits: {
        env: [`MOCK_ACCEL_UUID=${d.uuid}`, `MOCK_ACCEL_PCI=${d.pciAddress}`, `MOCK_ACCEL_DEVICE=${d.kernelName}`],
        deviceNodes: [{ path: d.devNode, permissions: "rw" }],
        mounts: [{ hostPath: d.classDir, containerPath: d.classDir, options: ["ro", "nosuid", "nodev", "noexec", "bind"] }],
      },
    })),
  };
  // With several devices the per-device variables above overwrite each other; the list names them all.
  if (devices.length > 1) spec.containerEdits = { env: [`MOCK_ACCEL_DEVICES=${devices.map((d) => d.kernelName).join(",")}`] };
  return { cdiVersion: minimumCdiVersion(spec), ...spec };
}

/**
 * Atomic for readers (runtimes watch the CDI directory and must never read a half-written spec)
 * but not synced: a spec is not trusted after a restart. A power loss restarts the kubelet too,
 * which prepares every claim again before starting a container, and that prepare rewrites the
 * spec (the default directory, /var/run/cdi, is a tmpfs that a reboot empties anyway).
 */
export function writeCdiSpec(path: string, spec: CdiSpec): void {
  if (spec.devices.length === 0) throw new Error(`${path}: refusing to write a CDI spec with no devices`);
  writeFileAtomic(path, `${JSON.stringify(spec, null, 2)}\n`, { mode: 0o644, stagingPath: stagingPath(path), durable: false });
}

/** Where writeCdiSpec writes a spec before renaming it into place; not a `.json`, so runtimes never read it. */
export function stagingPath(path: string): string {
  return `${path}.tmp`;
}

/** The spec, and the temporary copy a plugin killed inside writeCdiSpec left behind. */
export function removeCdiSpec(path: string): void {
  rmSync(path, { force: true });
  rmSync(stagingPath(path), { force: true });
}
