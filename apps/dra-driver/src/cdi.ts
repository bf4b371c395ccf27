// Container Device Interface spec files, one per prepared claim. Each claim gets its own spec
// file and its own CDI device names (`<claim uid>-<device>`), so two claims never share a CDI
// device and removing one claim's file cannot affect another's containers.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { ClaimUid } from "./claim-uid.ts";

/** CDI spec version whose features we use (device nodes, mounts, env): understood by containerd ≥ 1.7 and CRI-O ≥ 1.28. */
export const CDI_VERSION = "0.6.0";
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
  deviceNodes?: { path: string; permissions?: string }[];
  mounts?: { hostPath: string; containerPath: string; options?: string[] }[];
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

export function buildCdiSpec(driverName: string, claimUid: string, devices: readonly CdiDeviceInfo[]): CdiSpec {
  const spec: CdiSpec = {
    cdiVersion: CDI_VERSION,
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
  return spec;
}

export function writeCdiSpec(path: string, spec: CdiSpec): void {
  mkdirSync(join(path, ".."), { recursive: true });
  const tmp = `${path}.tmp`;
  try {
    const fd = openSync(tmp, "w", 0o644);
    try {
      writeSync(fd, `${JSON.stringify(spec, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // Runtimes watch the CDI directory and must never read a half-written spec.
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

export function removeCdiSpec(path: string): void {
  rmSync(path, { force: true });
}
