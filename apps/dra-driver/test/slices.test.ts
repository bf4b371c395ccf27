// What the API server ends up holding for this node: one pool named after the node, devices
// with DNS-label names and the client's attributes, republished when devices come and go.
import { readlink, rm, symlink } from "node:fs/promises";
import { join } from "node:path";
import type { IResourceSlice } from "kubernetes-models/resource.k8s.io/v1/ResourceSlice";
import { afterEach, describe, expect, it } from "vitest";
import { DRIVER, NODE, eventually, setup, type Env } from "./harness.ts";
import { validateResourceSlice } from "./stand-ins/resource-validation.ts";

let env: Env | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

const published = (e: Env) => e.api.slicesOf(NODE, DRIVER);
const deviceNames = (slices: IResourceSlice[]) => slices.flatMap((s) => s.spec.devices ?? []).map((d) => d.name);
const generation = (slices: IResourceSlice[]) => slices[0]?.spec.pool.generation;

describe("the API-server stand-in", () => {
  // These make sure the refusals the driver is tested against are real.
  const slice = (device: object) => ({
    apiVersion: "resource.k8s.io/v1", kind: "ResourceSlice", metadata: { name: "n-0" },
    spec: { driver: DRIVER, nodeName: "n", pool: { name: "n", generation: 1, resourceSliceCount: 1 }, devices: [device] },
  });
  it("refuses a device name that is not a DNS label", () => {
    expect(validateResourceSlice(slice({ name: "mock0_vf0" })).join()).toMatch(/spec.devices\[0\].name: Invalid value: "mock0_vf0"/);
  });
  it("refuses unqualified-looking garbage as an attribute name", () => {
    expect(validateResourceSlice(slice({ name: "mock0", attributes: { "bad name": { string: "x" } } })).join()).toMatch(/must be a C identifier/);
    expect(validateResourceSlice(slice({ name: "mock0", attributes: { "Bad_Domain/x": { string: "x" } } })).join()).toMatch(/domain must be a DNS subdomain/);
  });
  it("refuses more than 32 attributes and capacities on one device", () => {
    const attributes = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`a${i}`, { int: i }]));
    expect(validateResourceSlice(slice({ name: "mock0", attributes, capacity: { memory: { value: "1Gi" } } })).join()).toMatch(/Too many: 33/);
  });
  it("refuses a wrongly typed attribute (schema from kubernetes-models)", () => {
    expect(validateResourceSlice(slice({ name: "mock0", attributes: { a: { int: "one" } } })).join()).toMatch(/int must be integer/);
  });
});

describe("ResourceSlices", () => {
  it("publishes one pool named after the node with every device and its attributes", async () => {
    env = await setup([{ numaNode: 0, totalVfs: 2, enabledVfs: 2 }, { numaNode: 1, fwVersion: "2.0.1" }]);
    await env.start();
    const slices = await eventually("a published slice", () => (published(env!).length > 0 ? published(env!) : undefined));
    expect(slices).toHaveLength(1);
    const s = slices[0]!;
    expect(s.spec.pool).toEqual({ name: NODE, generation: 1, resourceSliceCount: 1 });
    expect(s.spec.nodeName).toBe(NODE);
    expect(deviceNames(slices)).toEqual(["mock0", "mock0-vf0", "mock0-vf1", "mock1"]);
    const vf = s.spec.devices!.find((d) => d.name === "mock0-vf1")!;
    const mock0 = env.fake.fn("mock0");
    const vf1 = env.fake.fn("mock0_vf1");
    expect(vf.attributes).toMatchObject({
      [`${DRIVER}/deviceType`]: { string: "vf" },
      [`${DRIVER}/pciAddress`]: { string: vf1.pciAddress },
      [`${DRIVER}/physFn`]: { string: mock0.pciAddress },
      // The old mock-device driver's attributes, kept for claims written against it.
      [`${DRIVER}/physfn`]: { string: "mock0" },
      [`${DRIVER}/memory`]: { int: 2 * 2 ** 30 },
      [`${DRIVER}/numaNode`]: { int: 0 },
      "resource.kubernetes.io/pcieRoot": { string: "pci0000:10" },
    });
    expect(vf.attributes![`${DRIVER}/uuid`]!.string).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect(vf.capacity).toEqual({ [`${DRIVER}/memory`]: { value: "2Gi" } });
    const pf1 = s.spec.devices!.find((d) => d.name === "mock1")!;
    expect(pf1.capacity).toEqual({ [`${DRIVER}/memory`]: { value: "16Gi" } });
    expect(pf1.attributes![`${DRIVER}/numaNode`]).toEqual({ int: 1 });
    expect(Object.values(pf1.attributes!).some((a) => a.version === "2.0.1")).toBe(true);
    expect(pf1.attributes![`${DRIVER}/physFn`]).toBeUndefined();
    expect(env.api.refusals).toEqual([]);
  });

  it("republishes with a new generation when VFs are enabled, and keeps it when nothing changed", async () => {
    env = await setup([{ totalVfs: 3 }]);
    const driver = await env.start();
    await eventually("generation 1", () => (generation(published(env!)) === 1 ? true : undefined));
    expect(deviceNames(published(env))).toEqual(["mock0"]);
    await env.fake.enableVfs("mock0", 3);
    await eventually("the VFs published", () => (deviceNames(published(env!)).length === 4 ? true : undefined));
    expect(deviceNames(published(env))).toEqual(["mock0", "mock0-vf0", "mock0-vf1", "mock0-vf2"]);
    // Enabling VFs one after another may be published in steps: each step is a new generation.
    const grown = generation(published(env))!;
    expect(grown).toBeGreaterThan(1);
    const again = await driver.publisher.publishOnce();
    expect(again).toMatchObject({ changed: false, generation: grown });
    await env.fake.enableVfs("mock0", 1);
    await eventually("VFs removed", () => (deviceNames(published(env!)).length === 2 ? true : undefined));
    expect(generation(published(env))).toBeGreaterThan(grown);
  });

  it("never runs two publish passes at once (they would race into 409 Conflicts)", async () => {
    env = await setup([{ totalVfs: 2 }]);
    const driver = await env.start();
    await eventually("the first publish", () => driver.publisher.lastPublished());
    for (let i = 0; i < 5; i++) {
      await env.fake.enableVfs("mock0", i % 2 === 0 ? 2 : 1);
      // Three callers at once, besides the publisher's own loop reacting to the same change.
      const results = await Promise.all([driver.publisher.publishOnce(), driver.publisher.publishOnce(), driver.publisher.publishOnce()]);
      expect(results.filter((r) => r.changed).length).toBeLessThanOrEqual(1);
    }
    expect(env.api.refusals.filter((r) => r.includes(" 409 "))).toEqual([]);
  });

  it("deletes stale slices of this node and driver, leaving other nodes' alone", async () => {
    env = await setup([{}]);
    const stale = { apiVersion: "resource.k8s.io/v1" as const, kind: "ResourceSlice" as const, spec: { driver: DRIVER, nodeName: NODE, pool: { name: NODE, generation: 7, resourceSliceCount: 2 }, devices: [] } };
    const other = { ...stale, metadata: { name: "node-b-x" }, spec: { ...stale.spec, nodeName: "node-b", pool: { name: "node-b", generation: 1, resourceSliceCount: 1 } } };
    for (const body of [{ ...stale, metadata: { name: "old-slice-0" } }, { ...stale, metadata: { name: "old-slice-1" } }, other]) {
      const res = await fetch(`${env.api.url}/apis/resource.k8s.io/v1/resourceslices`, { method: "POST", body: JSON.stringify(body) });
      expect(res.status).toBe(201);
    }
    await env.start();
    await eventually("stale slices gone", () => (published(env!).length === 1 && deviceNames(published(env!)).length === 1 ? true : undefined));
    // Above the stale generation, so the scheduler never mixes the two.
    expect(generation(published(env))).toBe(8);
    expect(env.api.slices.has("old-slice-0")).toBe(false);
    expect(env.api.slices.has("old-slice-1")).toBe(false);
    expect(env.api.slices.has("node-b-x")).toBe(true);
  });

  it("resyncs as a backstop: a slice gone without any watch event is put back", async () => {
    env = await setup([{}], { resyncIntervalMs: 200 });
    await env.start();
    const first = await eventually("a published slice", () => published(env!)[0]);
    env.api.slices.delete(first.metadata!.name!);
    const again = await eventually("the slice back", () => published(env!)[0]);
    expect(deviceNames([again])).toEqual(["mock0"]);
    expect(generation([again])).toBe(2);
  });

  it("backs off and retries when the API server fails", async () => {
    env = await setup([{}]);
    env.api.failNext(3, 503);
    await env.start();
    await eventually("a published slice", () => (published(env!).length === 1 ? true : undefined));
    expect(env.log.lines.filter((l) => l.includes("publishing ResourceSlices failed: HTTP 503: injected failure (API-server stand-in)")).length).toBeGreaterThanOrEqual(1);
    expect(env.log.lines.some((l) => /retrying in \d+ ms/.test(l))).toBe(true);
  });

  it("reports and skips an unreadable device, publishing the others", async () => {
    env = await setup([{}, {}, {}]);
    await env.fake.setRawAttribute("mock1", "uuid", "not-a-uuid\n");
    await env.start();
    await eventually("a published slice", () => (published(env!).length === 1 ? true : undefined));
    expect(deviceNames(published(env))).toEqual(["mock0", "mock2"]);
    expect(env.log.lines.some((l) => l.startsWith("error: skipping device mock1:") && l.includes("uuid"))).toBe(true);
  });

  it("reports and skips a device whose PCI layout is broken, publishing the others", async () => {
    env = await setup([{ totalVfs: 1, enabledVfs: 1 }, {}, {}]);
    await rm(join(env.fake.fn("mock1").classPath, "device"));
    await env.start();
    await eventually("a published slice", () => (published(env!).length === 1 ? true : undefined));
    expect(deviceNames(published(env))).toEqual(["mock0", "mock0-vf0", "mock2"]);
    expect(env.log.lines.some((l) => l.startsWith("error: skipping device mock1:") && l.includes("no PCI function link"))).toBe(true);
    // The publish's summary line is written once the API server has answered, after the slice is stored.
    await eventually("the publish summary", () => (env!.log.lines.some((l) => l.includes("published pool")) ? true : undefined));
    expect(env.log.lines.some((l) => l.includes("published pool") && l.includes("skipped mock1"))).toBe(true);
  });

  it("keeps watching when a device breaks: it is unpublished, and published again once repaired", async () => {
    env = await setup([{}, {}]);
    await env.start();
    await eventually("both published", () => (deviceNames(published(env!)).length === 2 ? true : undefined));
    const link = join(env.fake.fn("mock1").classPath, "device");
    const target = await readlink(link);
    await rm(link);
    await eventually("mock1 unpublished", () => (deviceNames(published(env!)).join() === "mock0" ? true : undefined));
    await symlink(target, link);
    await eventually("mock1 back", () => (deviceNames(published(env!)).join() === "mock0,mock1" ? true : undefined));
    expect(env.log.lines.some((l) => l.includes("watching devices failed"))).toBe(false);
  });

  it("a device a publish pass found broken is published again once repaired, though the device watch never saw it broken", async () => {
    // The watch looks once, at the start; only the publisher's own re-check can notice the repair.
    env = await setup([{}, {}], { watchIntervalMs: 3_600_000 });
    const driver = await env.start();
    await eventually("both published", () => (deviceNames(published(env!)).length === 2 ? true : undefined));
    const link = join(env.fake.fn("mock1").classPath, "device");
    const target = await readlink(link);
    await rm(link);
    driver.publisher.requestPublish();
    await eventually("mock1 unpublished", () => (deviceNames(published(env!)).join() === "mock0" ? true : undefined));
    await symlink(target, link);
    await eventually("mock1 back", () => (deviceNames(published(env!)).join() === "mock0,mock1" ? true : undefined));
  });

  it("splits 256 devices over slices of at most 128, all in one pool generation", async () => {
    const topology = Array.from({ length: 32 }, (_, i) => ({ numaNode: i % 4, totalVfs: 7, enabledVfs: 7 }));
    env = await setup(topology);
    await env.start();
    const slices = await eventually("two slices", () => (published(env!).length === 2 ? published(env!) : undefined));
    expect(deviceNames(slices)).toHaveLength(256);
    expect(slices.map((s) => s.spec.devices!.length)).toEqual([128, 128]);
    expect(slices.every((s) => s.spec.pool.resourceSliceCount === 2 && s.spec.pool.generation === 1)).toBe(true);
    expect(env.api.refusals).toEqual([]);
  });
});

describe("the watch on this node's slices", () => {
  // A resync far beyond the test's time limit: only the watch can explain a republish.
  const noResync = { resyncIntervalMs: 3_600_000 };
  const sliceUrl = (e: Env, name: string) => `${e.api.url}/apis/resource.k8s.io/v1/resourceslices/${name}`;

  /** Starts the driver; resolves once its first publish is complete and its watch is open. */
  async function started(e: Env): Promise<IResourceSlice> {
    const watching = e.api.nextWatch();
    const driver = await e.start();
    await watching;
    await eventually("the first publish", () => driver.publisher.lastPublished());
    return published(e)[0]!;
  }

  /** Resolves at the next publish that wrote something. */
  const republished = (e: Env) => e.driver!.publisher.nextPublish((r) => r.changed);

  it("puts back the slices the kubelet deletes when it starts, at once, not at the next resync", async () => {
    env = await setup([{ totalVfs: 1, enabledVfs: 1 }], noResync);
    const first = await started(env);
    const name = first.metadata!.name!;
    const done = republished(env);
    // The kubelet's wipe at start: deletecollection of every slice on its node.
    const wipe = await fetch(`${env.api.url}/apis/resource.k8s.io/v1/resourceslices?fieldSelector=spec.nodeName%3D${NODE}`, { method: "DELETE" });
    expect(wipe.status).toBe(200);
    expect(((await wipe.json()) as { items: unknown[] }).items).toHaveLength(1);
    expect((await done).generation).toBe(2);
    expect(deviceNames(published(env))).toEqual(["mock0", "mock0-vf0"]);
    expect(env.log.lines).toContain(`info: ResourceSlice ${name} was deleted by someone else; republishing`);
  });

  it("puts back a slice someone else changed", async () => {
    env = await setup([{ totalVfs: 1, enabledVfs: 1 }], noResync);
    const first = await started(env);
    const done = republished(env);
    const emptied = { ...first, spec: { ...first.spec, devices: [] } };
    expect((await fetch(sliceUrl(env, first.metadata!.name!), { method: "PUT", body: JSON.stringify(emptied) })).status).toBe(200);
    await done;
    expect(deviceNames(published(env))).toEqual(["mock0", "mock0-vf0"]);
    expect(env.log.lines.some((l) => l.includes("was changed by someone else"))).toBe(true);
  });

  it("restarts the watch after the stream ends, after 410 Gone, and after errors with back-off", async () => {
    env = await setup([{}], noResync);
    await started(env);
    const e = env;
    const deleteAndWaitForRepublish = async () => {
      const done = republished(e);
      expect((await fetch(sliceUrl(e, published(e)[0]!.metadata!.name!), { method: "DELETE" })).status).toBe(200);
      await done;
    };
    // The stream ends (an API server restart, a dropped connection): it resumes where it was.
    let watching = e.api.nextWatch();
    e.api.closeWatches();
    await watching;
    await deleteAndWaitForRepublish();
    // The server forgot that history: 410 Gone, the client lists again and watches from there.
    watching = e.api.nextWatch();
    e.api.compactHistory();
    e.api.closeWatches();
    await watching;
    await deleteAndWaitForRepublish();
    // The server refuses the watch twice: restarted with back-off.
    watching = e.api.nextWatch();
    e.api.failNext(2, 503, /[?&]watch=true/);
    e.api.closeWatches();
    await watching;
    await deleteAndWaitForRepublish();
    expect(e.log.lines.some((l) => /watching ResourceSlices failed: HTTP 503.*; restarting the watch in \d+ ms/.test(l))).toBe(true);
    expect(deviceNames(published(e))).toEqual(["mock0"]);
  });

  it("notices a deletion it never saw an event for, by listing again after 410 Gone", async () => {
    env = await setup([{}], noResync);
    const first = await started(env);
    const done = republished(env);
    // Gone from the store with no event, and the history compacted: only a new list can tell.
    env.api.slices.delete(first.metadata!.name!);
    env.api.compactHistory();
    env.api.closeWatches();
    await done;
    expect(deviceNames(published(env))).toEqual(["mock0"]);
  });

  it("closes its watch when the driver stops", async () => {
    env = await setup([{}], noResync);
    await started(env);
    expect(env.api.openWatches()).toBe(1);
    await env.driver!.stop();
    await eventually("the watch closed", () => (env!.api.openWatches() === 0 ? true : undefined));
  });
});

describe("the Node owns the slices", () => {
  it("sets the Node as their controller owner, with the UID the API server gave it", async () => {
    env = await setup([{}]);
    const nodeUid = env.api.nodes.get(NODE)!.metadata.uid;
    await env.start();
    const slice = await eventually("a published slice", () => published(env!)[0]);
    expect(slice.metadata!.ownerReferences).toEqual([{ apiVersion: "v1", kind: "Node", name: NODE, uid: nodeUid, controller: true }]);
  });

  it("adds the owner to a slice an earlier version published without one", async () => {
    env = await setup([{}]);
    await env.start();
    const slice = await eventually("a published slice", () => published(env!)[0]);
    await env.driver!.stop();
    env.driver = undefined;
    const { ownerReferences: _dropped, ...metadata } = slice.metadata!;
    expect((await fetch(`${env.api.url}/apis/resource.k8s.io/v1/resourceslices/${metadata.name}`, { method: "PUT", body: JSON.stringify({ ...slice, metadata }) })).status).toBe(200);
    expect(published(env)[0]!.metadata!.ownerReferences).toBeUndefined();
    await env.start();
    await eventually("the owner added", () => (published(env!)[0]!.metadata!.ownerReferences?.length === 1 ? true : undefined));
  });

  it("waits for the Node to be registered, saying so", async () => {
    env = await setup([{}], { registerNode: false });
    await env.start();
    await eventually("the error logged", () => (env!.log.lines.some((l) => l.includes(`Node ${NODE} not found`)) ? true : undefined));
    expect(published(env)).toEqual([]);
    env.api.addNode(NODE);
    await eventually("a published slice", () => published(env!)[0]);
  });
});
