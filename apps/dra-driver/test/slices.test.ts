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
    expect(generation(published(env))).toBe(2);
    const again = await driver.publisher.publishOnce();
    expect(again).toMatchObject({ changed: false, generation: 2 });
    await env.fake.enableVfs("mock0", 1);
    await eventually("VFs removed", () => (deviceNames(published(env!)).length === 2 ? true : undefined));
    expect(generation(published(env))).toBe(3);
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

  it("puts back a slice someone else deleted", async () => {
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
    expect(env.log.lines.filter((l) => l.includes("publishing ResourceSlices failed")).length).toBeGreaterThanOrEqual(1);
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
    expect(env.log.lines.some((l) => l.includes("skipped mock1"))).toBe(true);
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
