// The kubelet's view: register through the registration socket, prepare and unprepare claims
// over real gRPC; then look at what a container runtime and the device would see (CDI spec
// files, STATUS through the sysfs client, the checkpoint).
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Checkpoint } from "../src/checkpoint.ts";
import { cdiSpecPath, type CdiSpec } from "../src/cdi.ts";
import { claimUid } from "../src/claim-uid.ts";
import { DRIVER, NODE, setup, type Env } from "./harness.ts";

let env: Env;

beforeEach(async () => {
  env = await setup([{ numaNode: 0, totalVfs: 2, enabledVfs: 2 }, { numaNode: 1 }]);
  await env.start();
  await env.kubelet.register(DRIVER);
});
afterEach(async () => env.cleanup());

const pf = (device: string, request = "accel") => ({ request, driver: DRIVER, pool: NODE, device });
/** Claims in the checkpoint file, as a restarted plugin would read them ({} when never written). */
const checkpointClaims = (): Readonly<Record<string, { state: string }>> => Checkpoint.load(env.paths.checkpointPath, DRIVER).claims();
const spec = (uid: string): CdiSpec => JSON.parse(readFileSync(cdiSpecPath(env.paths.cdiDir, DRIVER, claimUid(uid)), "utf8")) as CdiSpec;

describe("registration", () => {
  it("advertises a DRAPlugin with both API versions on the DRA socket", async () => {
    const info = env.kubelet.info!;
    expect(info.type).toBe("DRAPlugin");
    expect(info.name).toBe(DRIVER);
    expect(info.supportedVersions).toEqual(["v1.DRAPlugin", "v1beta1.DRAPlugin"]);
    expect(info.endpoint).toBe(env.driver!.plugin.draSocket);
    expect(env.driver!.plugin.registrationStatus()).toEqual({ pluginRegistered: true, error: "" });
  });

  it("serves v1beta1 as well as v1", async () => {
    await env.kubelet.register(DRIVER, { version: "v1beta1" });
    const uid = env.api.allocateClaim("default", "c", [pf("mock1")]);
    const res = await env.kubelet.prepare([{ namespace: "default", name: "c", uid }]);
    expect(res.claims[uid]!.error).toBe("");
    expect(await env.status("mock1")).toBe(1);
  });

  it("records a refused registration", async () => {
    await expect(env.kubelet.register(DRIVER, { accept: false })).rejects.toThrow(/refused/);
    expect(env.driver!.plugin.registrationStatus()).toEqual({ pluginRegistered: false, error: "refused by the kubelet stand-in" });
  });
});

describe("prepare", () => {
  it("marks the device allocated and writes a CDI spec injecting the device", async () => {
    const uid = env.api.allocateClaim("default", "one-pf", [pf("mock0")]);
    const res = await env.kubelet.prepare([{ namespace: "default", name: "one-pf", uid }]);
    const cdiId = `${DRIVER}/claim=${uid}-mock0`;
    expect(res.claims[uid]).toEqual({ error: "", devices: [{ requestNames: ["accel"], poolName: NODE, deviceName: "mock0", cdiDeviceIds: [cdiId] }] });
    expect(await env.status("mock0")).toBe(1);
    expect(await env.status("mock1")).toBe(0);

    const s = spec(uid);
    const mock0 = env.fake.fn("mock0");
    expect(s.kind).toBe(`${DRIVER}/claim`);
    expect(s.devices).toHaveLength(1);
    const edits = s.devices[0]!.containerEdits;
    expect(s.devices[0]!.name).toBe(`${uid}-mock0`);
    expect(edits.deviceNodes).toEqual([{ path: "/dev/mock0", permissions: "rw" }]);
    const uuid = readFileSync(`${mock0.classPath}/uuid`, "utf8").trim();
    expect(edits.env).toEqual([`MOCK_ACCEL_UUID=${uuid}`, `MOCK_ACCEL_PCI=${mock0.pciAddress}`, "MOCK_ACCEL_DEVICE=mock0"]);
    expect(edits.mounts).toHaveLength(1);
    expect(edits.mounts![0]!.hostPath).toBe(mock0.classPath);
    expect(edits.mounts![0]!.options).toContain("ro");
    expect(s.containerEdits).toBeUndefined();
  });

  it("is idempotent", async () => {
    const uid = env.api.allocateClaim("default", "c", [pf("mock0")]);
    const first = await env.kubelet.prepare([{ namespace: "default", name: "c", uid }]);
    const again = await env.kubelet.prepare([{ namespace: "default", name: "c", uid }]);
    expect(again).toEqual(first);
    expect(await env.status("mock0")).toBe(1);
  });

  it("lists every device of a multi-device claim, VFs included", async () => {
    const uid = env.api.allocateClaim("default", "vfs", [pf("mock0-vf0", "a"), pf("mock0-vf1", "b")]);
    const res = await env.kubelet.prepare([{ namespace: "default", name: "vfs", uid }]);
    expect(res.claims[uid]!.error).toBe("");
    expect(res.claims[uid]!.devices.map((d) => [d.deviceName, d.requestNames])).toEqual([["mock0-vf0", ["a"]], ["mock0-vf1", ["b"]]]);
    expect(await env.status("mock0_vf0")).toBe(1);
    expect(await env.status("mock0_vf1")).toBe(1);
    expect(await env.status("mock0")).toBe(0);
    const s = spec(uid);
    expect(s.devices.map((d) => d.containerEdits.deviceNodes![0]!.path)).toEqual(["/dev/mock0_vf0", "/dev/mock0_vf1"]);
    expect(s.containerEdits?.env).toEqual(["MOCK_ACCEL_DEVICES=mock0_vf0,mock0_vf1"]);
  });

  it("names the base request of a prioritized-list result, as containers name it", async () => {
    // The scheduler picked subrequest "big" of request "accel" (firstAvailable); a container
    // says `resources.claims[].request: accel`, and the kubelet matches request_names exactly.
    const uid = env.api.allocateClaim("default", "prio", [pf("mock1", "accel/big"), pf("mock0-vf0", "helper/any")]);
    const res = await env.kubelet.prepare([{ namespace: "default", name: "prio", uid }]);
    expect(res.claims[uid]!.error).toBe("");
    expect(res.claims[uid]!.devices.map((d) => [d.deviceName, d.requestNames])).toEqual([["mock1", ["accel"]], ["mock0-vf0", ["helper"]]]);
    // The checkpoint keeps what the response said, so an answer after a restart is the same.
    const again = await env.kubelet.prepare([{ namespace: "default", name: "prio", uid }]);
    expect(again).toEqual(res);
  });

  it("writes the oldest CDI version the spec needs", async () => {
    // A device name starting with a digit needs CDI 0.5.0; one starting with a letter is 0.3.0.
    const digit = env.api.allocateClaim("default", "digit", [pf("mock0")], "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
    const letter = env.api.allocateClaim("default", "letter", [pf("mock1")], "a0b1c2d3-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
    await env.kubelet.prepare([{ namespace: "default", name: "digit", uid: digit }, { namespace: "default", name: "letter", uid: letter }]);
    expect(spec(digit).cdiVersion).toBe("0.5.0");
    expect(spec(letter).cdiVersion).toBe("0.3.0");
  });

  it("writes no CDI spec for a claim with no device of this driver", async () => {
    const uid = env.api.allocateClaim("default", "other", [{ request: "gpu", driver: "gpu.example.com", pool: NODE, device: "gpu0" }]);
    const res = await env.kubelet.prepare([{ namespace: "default", name: "other", uid }]);
    expect(res.claims[uid]).toEqual({ error: "", devices: [] });
    expect(existsSync(env.paths.cdiDir) ? readdirSync(env.paths.cdiDir) : []).toEqual([]);
    expect(checkpointClaims()).toEqual({});
  });

  it("gives two claims separate CDI files and device names", async () => {
    const a = env.api.allocateClaim("default", "a", [pf("mock0")]);
    const b = env.api.allocateClaim("default", "b", [pf("mock1")]);
    const res = await env.kubelet.prepare([{ namespace: "default", name: "a", uid: a }, { namespace: "default", name: "b", uid: b }]);
    const ids = [...res.claims[a]!.devices, ...res.claims[b]!.devices].flatMap((d) => d.cdiDeviceIds);
    expect(new Set(ids).size).toBe(2);
    expect(readdirSync(env.paths.cdiDir).filter((f) => f.endsWith(".json")).sort()).toEqual([`${DRIVER}-claim_${a}.json`, `${DRIVER}-claim_${b}.json`].sort());
  });

  it("fails only the claim whose device another claim holds", async () => {
    const holder = env.api.allocateClaim("default", "holder", [pf("mock0")]);
    await env.kubelet.prepare([{ namespace: "default", name: "holder", uid: holder }]);
    const thief = env.api.allocateClaim("default", "thief", [pf("mock0")]);
    const fine = env.api.allocateClaim("default", "fine", [pf("mock1")]);
    const res = await env.kubelet.prepare([{ namespace: "default", name: "thief", uid: thief }, { namespace: "default", name: "fine", uid: fine }]);
    expect(res.claims[thief]!.error).toMatch(/device mock0 is held by claim default\/holder/);
    expect(res.claims[thief]!.devices).toEqual([]);
    expect(res.claims[fine]!.error).toBe("");
    expect(existsSync(cdiSpecPath(env.paths.cdiDir, DRIVER, claimUid(thief)))).toBe(false);
    expect(await env.status("mock0")).toBe(1);
    expect(await env.status("mock1")).toBe(1);
  });

  it("lets an admin-access claim use a held device without taking or freeing it", async () => {
    const user = env.api.allocateClaim("default", "user", [pf("mock0")]);
    await env.kubelet.prepare([{ namespace: "default", name: "user", uid: user }]);
    const admin = env.api.allocateClaim("default", "monitor", [{ ...pf("mock0"), adminAccess: true }]);
    const res = await env.kubelet.prepare([{ namespace: "default", name: "monitor", uid: admin }]);
    expect(res.claims[admin]!.error).toBe("");
    expect(spec(admin).devices[0]!.containerEdits.deviceNodes).toEqual([{ path: "/dev/mock0", permissions: "rw" }]);
    await env.kubelet.unprepare([{ namespace: "default", name: "monitor", uid: admin }]);
    expect(await env.status("mock0")).toBe(1);
    await env.kubelet.unprepare([{ namespace: "default", name: "user", uid: user }]);
    expect(await env.status("mock0")).toBe(0);
  });

  it("refuses a claim whose UID is not the one the kubelet names", async () => {
    env.api.allocateClaim("default", "c", [pf("mock0")], "11111111-1111-1111-1111-111111111111");
    const uid = "22222222-2222-2222-2222-222222222222";
    const res = await env.kubelet.prepare([{ namespace: "default", name: "c", uid }]);
    expect(res.claims[uid]!.error).toMatch(/has UID 11111111-.*the kubelet asked for 22222222-/);
    expect(await env.status("mock0")).toBe(0);
  });

  it("reports the API server's status and message when fetching the claim fails", async () => {
    const uid = env.api.allocateClaim("default", "c", [pf("mock0")]);
    env.api.failNext(1, 500, /\/resourceclaims\//);
    const res = await env.kubelet.prepare([{ namespace: "default", name: "c", uid }]);
    expect(res.claims[uid]!.error).toMatch(/ResourceClaim default\/c: fetching it failed: HTTP 500: injected failure \(API-server stand-in\)$/);
    expect(await env.status("mock0")).toBe(0);
  });

  it("reports a claim that does not exist", async () => {
    const uid = "33333333-3333-3333-3333-333333333333";
    const res = await env.kubelet.prepare([{ namespace: "default", name: "gone", uid }]);
    expect(res.claims[uid]!.error).toMatch(/ResourceClaim default\/gone not found/);
  });

  it("takes only this driver's allocation results", async () => {
    const uid = env.api.allocateClaim("default", "mixed", [pf("mock1"), { request: "gpu", driver: "gpu.example.com", pool: NODE, device: "gpu0" }]);
    const res = await env.kubelet.prepare([{ namespace: "default", name: "mixed", uid }]);
    expect(res.claims[uid]!.error).toBe("");
    expect(res.claims[uid]!.devices.map((d) => d.deviceName)).toEqual(["mock1"]);
  });

  it("fails a claim for a device the node does not show, touching nothing", async () => {
    const uid = env.api.allocateClaim("default", "c", [pf("mock0"), pf("mock7")]);
    const res = await env.kubelet.prepare([{ namespace: "default", name: "c", uid }]);
    expect(res.claims[uid]!.error).toMatch(/device mock7 is not present on node node-a/);
    expect(await env.status("mock0")).toBe(0);
    expect(checkpointClaims()).toEqual({});
  });

  it("prepares a healthy device while another is broken, and names the broken one when it is claimed", async () => {
    // mock1 loses its PCI link: discovery reports and skips it instead of failing every claim.
    rmSync(`${env.fake.fn("mock1").classPath}/device`);
    const good = env.api.allocateClaim("default", "good", [pf("mock0")]);
    const bad = env.api.allocateClaim("default", "bad", [pf("mock1")]);
    const res = await env.kubelet.prepare([{ namespace: "default", name: "good", uid: good }, { namespace: "default", name: "bad", uid: bad }]);
    expect(res.claims[good]!.error).toBe("");
    expect(await env.status("mock0")).toBe(1);
    expect(res.claims[bad]!.error).toMatch(/device mock1 \(mock1\) cannot be used: .*mock1\/device: class device has no PCI function link/);
    expect(Object.keys(checkpointClaims())).toEqual([good]);
  });

  it("rolls back when a device refuses the STATUS write", async () => {
    await env.fake.rejectWrites("mock1", "status");
    const uid = env.api.allocateClaim("default", "c", [pf("mock0"), pf("mock1")]);
    const res = await env.kubelet.prepare([{ namespace: "default", name: "c", uid }]);
    expect(res.claims[uid]!.error).toMatch(/status.*EACCES/);
    expect(await env.status("mock0")).toBe(0);
    expect(existsSync(cdiSpecPath(env.paths.cdiDir, DRIVER, claimUid(uid)))).toBe(false);
    expect(checkpointClaims()).toEqual({});
  });
});

describe("unprepare", () => {
  it("clears STATUS, removes the CDI spec and the checkpoint entry", async () => {
    const uid = env.api.allocateClaim("default", "c", [pf("mock0"), pf("mock0-vf1")]);
    await env.kubelet.prepare([{ namespace: "default", name: "c", uid }]);
    // The record is the intent written before any device was touched; "prepared" lives in memory only.
    expect(checkpointClaims()[uid]!.state).toBe("preparing");
    const res = await env.kubelet.unprepare([{ namespace: "default", name: "c", uid }]);
    expect(res.claims[uid]).toEqual({ error: "" });
    expect(await env.status("mock0")).toBe(0);
    expect(await env.status("mock0_vf1")).toBe(0);
    expect(existsSync(cdiSpecPath(env.paths.cdiDir, DRIVER, claimUid(uid)))).toBe(false);
    expect(checkpointClaims()).toEqual({});
    // The device is free for the next claim.
    const next = env.api.allocateClaim("default", "next", [pf("mock0")]);
    expect((await env.kubelet.prepare([{ namespace: "default", name: "next", uid: next }])).claims[next]!.error).toBe("");
  });

  it("removes the temporary CDI spec a killed plugin left behind along with the spec", async () => {
    const uid = env.api.allocateClaim("default", "c", [pf("mock0")]);
    await env.kubelet.prepare([{ namespace: "default", name: "c", uid }]);
    const path = cdiSpecPath(env.paths.cdiDir, DRIVER, claimUid(uid));
    writeFileSync(`${path}.tmp`, "{");
    expect((await env.kubelet.unprepare([{ namespace: "default", name: "c", uid }])).claims[uid]).toEqual({ error: "" });
    expect(readdirSync(env.paths.cdiDir)).toEqual([]);
  });

  it("succeeds for a claim it never prepared", async () => {
    const uid = "44444444-4444-4444-4444-444444444444";
    const res = await env.kubelet.unprepare([{ namespace: "default", name: "never", uid }]);
    expect(res.claims[uid]).toEqual({ error: "" });
  });
});

describe("claim UIDs name files, so only a Kubernetes UID is accepted", () => {
  // `<cdi-dir>/<driver>-claim_/../../victim.json` is `<cdi-dir>/../victim.json`: outside the CDI directory.
  const victim = () => join(env.dir, "victim.json");

  it("unprepare refuses a UID with a path in it and deletes nothing", async () => {
    writeFileSync(victim(), "someone else's file\n");
    const res = await env.kubelet.unprepare([{ namespace: "default", name: "c", uid: "/../../victim" }]);
    expect(res.claims["/../../victim"]!.error).toMatch(/claim UID "\/..\/..\/victim" is not a Kubernetes UID/);
    expect(readFileSync(victim(), "utf8")).toBe("someone else's file\n");
  });

  it("prepare refuses such a UID even when the API server returns it, writing nothing", async () => {
    const uid = "/../../victim";
    env.api.allocateClaim("default", "c", [pf("mock0")], uid);
    const res = await env.kubelet.prepare([{ namespace: "default", name: "c", uid }]);
    expect(res.claims[uid]!.error).toMatch(/is not a Kubernetes UID/);
    expect(existsSync(victim())).toBe(false);
    expect(await env.status("mock0")).toBe(0);
    expect(checkpointClaims()).toEqual({});
  });

  it("accepts the API server's UIDs", async () => {
    const uid = env.api.allocateClaim("default", "c", [pf("mock0")], "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
    expect((await env.kubelet.prepare([{ namespace: "default", name: "c", uid }])).claims[uid]!.error).toBe("");
    expect((await env.kubelet.unprepare([{ namespace: "default", name: "c", uid }])).claims[uid]!.error).toBe("");
  });
});
