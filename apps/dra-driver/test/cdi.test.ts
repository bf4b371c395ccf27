// CDI spec files as a runtime's CDI library reads them: the version is the oldest one that has
// every feature the spec uses (the library refuses a spec claiming less, and a runtime older than
// the version written refuses it too), and a spec never comes without devices.
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildCdiSpec, cdiSpecPath, minimumCdiVersion, writeCdiSpec, type CdiDeviceInfo, type CdiSpec } from "../src/cdi.ts";
import { claimUid, isClaimUid } from "../src/claim-uid.ts";

const device: CdiDeviceInfo = { deviceName: "mock0", kernelName: "mock0", devNode: "/dev/mock0", uuid: "u", pciAddress: "0000:11:00.0", classDir: "/sys/class/mock-accel/mock0" };
const LETTER_UID = claimUid("abcdef01-2345-4678-89ab-cdef01234567");
const DIGIT_UID = claimUid("0bcdef01-2345-4678-89ab-cdef01234567");

describe("minimumCdiVersion (the CDI library's MinimumRequiredVersion rule)", () => {
  const base = (): Omit<CdiSpec, "cdiVersion"> => ({ kind: "vendor.example.com/claim", devices: [{ name: "a-mock0", containerEdits: { env: ["A=1"], deviceNodes: [{ path: "/dev/mock0" }], mounts: [{ hostPath: "/x", containerPath: "/x", options: ["ro"] }] } }] });
  it("is 0.3.0, the earliest the library accepts, for env, device nodes and mounts", () => {
    expect(minimumCdiVersion(base())).toBe("0.3.0");
  });
  it("is 0.4.0 with a mount type", () => {
    const s = base();
    s.devices[0]!.containerEdits.mounts![0]!.type = "bind";
    expect(minimumCdiVersion(s)).toBe("0.4.0");
  });
  it("is 0.5.0 with a device name starting with a digit, or a device node hostPath", () => {
    expect(minimumCdiVersion({ ...base(), devices: [{ ...base().devices[0]!, name: "0a-mock0" }] })).toBe("0.5.0");
    const s = base();
    s.containerEdits = { deviceNodes: [{ path: "/dev/x", hostPath: "/dev/y" }] };
    expect(minimumCdiVersion(s)).toBe("0.5.0");
  });
  it("is 0.6.0 with a dot in the kind's class (not in its vendor)", () => {
    expect(minimumCdiVersion({ ...base(), kind: "vendor.example.com/claim.v2" })).toBe("0.6.0");
  });
});

describe("buildCdiSpec", () => {
  it("writes the version its device names need: claim UIDs starting with a digit need 0.5.0", () => {
    expect(buildCdiSpec("mock-accel.example.com", LETTER_UID, [device]).cdiVersion).toBe("0.3.0");
    expect(buildCdiSpec("mock-accel.example.com", DIGIT_UID, [device]).cdiVersion).toBe("0.5.0");
  });
  it("refuses to build a spec with no devices", () => {
    expect(() => buildCdiSpec("mock-accel.example.com", LETTER_UID, [])).toThrow(/no devices/);
  });
});

describe("writeCdiSpec", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "dra-cdi-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  it("never writes a spec with no devices", () => {
    const path = join(dir, "cdi", "x.json");
    expect(() => writeCdiSpec(path, { cdiVersion: "0.3.0", kind: "vendor.example.com/claim", devices: [] })).toThrow(/no devices/);
    expect(existsSync(join(dir, "cdi")) ? readdirSync(join(dir, "cdi")) : []).toEqual([]);
  });
});

describe("cdiSpecPath", () => {
  it("names a file directly inside the CDI directory", () => {
    expect(cdiSpecPath("/var/run/cdi", "mock-accel.example.com", LETTER_UID)).toBe(`/var/run/cdi/mock-accel.example.com-claim_${LETTER_UID}.json`);
  });
  it("refuses any part that would lead elsewhere (a driver name is checked only where the driver starts)", () => {
    expect(() => cdiSpecPath("/var/run/cdi", "x/../../etc", LETTER_UID)).toThrow(/is not directly inside \/var\/run\/cdi/);
  });
  it("only takes UIDs of a Kubernetes UID's shape", () => {
    for (const bad of ["/../../victim", "..", "", "0bcdef01-2345-4678-89ab-cdef01234567/..", "0bcdef01-2345-4678-89ab-cdef0123456"]) expect(isClaimUid(bad), bad).toBe(false);
    expect(() => claimUid("a/b")).toThrow(/claim UID "a\/b" is not a Kubernetes UID/);
  });
});
