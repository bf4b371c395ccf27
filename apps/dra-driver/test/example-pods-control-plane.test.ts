// examples/pods against a real control plane built from upstream sources, no VMs: the files
// applied as they are (`kubectl apply -f`), the real kube-controller-manager making each Pod's
// ResourceClaim from its template, the real kube-scheduler allocating it from the ResourceSlices
// the driver publishes for a fake sysfs tree shaped like examples/demo.yaml (the end-to-end
// topology). The driver's kubelet plugin is then called for each allocation as the kubelet
// would, and the Pod's own script is run on the host with what the CDI spec gives a container.
import { KubeConfig } from "@kubernetes/client-node";
import { findKubernetes, installCommand, startControlPlane, type ControlPlane } from "@mock-accel/cluster";
import { IMAGE_REFS } from "@mock-accel/node-image";
import { ATTRIBUTES, CAPABILITIES_FIELDS, createFakeSysfs, dnsLabelName, MockAccelSysfs, STATUS_ALLOCATED, type FakeSysfs } from "@mock-accel/sysfs-client";
import { assertAvailable, eventually, requirement } from "@mock-accel/testkit";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import { cdiSpecPath, type CdiSpec } from "../src/cdi.ts";
import { claimUid } from "../src/claim-uid.ts";
import { DEFAULT_DRIVER_NAME, startDriver, type RunningDriver } from "../src/driver.ts";
import { EXAMPLE_PODS_DIR, FIT_TOGETHER, parseExampleLog } from "../src/example-pods/generate-pods.ts";
import { MemoryLogger } from "../src/logger.ts";
import { exactRequest, renderObjects, type K8sObject } from "../src/manifests.ts";
import { demoFakeTopology } from "./demo-topology.ts";
import { runReportScript } from "./report-script.ts";
import { KubeletStandIn } from "./stand-ins/kubelet.ts";

// The files name the chart's default driver; the driver here runs under that name.
const DRIVER = DEFAULT_DRIVER_NAME;
const NODE = "mock-node-demo";
/** A Pod of the test's own, holding a device an example would otherwise take. */
const HOLDER = { name: "holder", namespace: "example-pods-test" };
const kube = requirement("Kubernetes components built from source", findKubernetes().ok, installCommand());

interface Device { name: string; kind: "pf" | "vf"; numaNode: number; pf: string | null; capabilities: number }
interface AllocationResult { request: string; driver: string; pool: string; device: string }
interface Claim { metadata: { name: string; namespace: string; uid: string }; status?: { allocation?: { devices: { results: AllocationResult[] } } } }
interface Pod {
  metadata: { name: string; namespace: string };
  spec: { nodeName?: string; containers: { image: string; imagePullPolicy?: string; command: string[] }[] };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[]; resourceClaimStatuses?: { name: string; resourceClaimName?: string }[] };
}
interface Request { name: string; exactly: { count: number } }

/** An example file as it is: its objects, its Pod, and how many devices its claim asks for. */
interface Example { name: string; file: string; namespace: string; pod: Pod; deviceCount: number }
/** A Pod by name. */
type PodRef = Pick<Example, "name" | "namespace">;

function readExamples(): Example[] {
  return readdirSync(EXAMPLE_PODS_DIR).filter((f) => f.endsWith(".yaml")).sort().map((f) => {
    const file = join(EXAMPLE_PODS_DIR, f);
    const objects = parseAllDocuments(readFileSync(file, "utf8")).map((d) => d.toJS() as K8sObject);
    const pod = objects.find((o) => o.kind === "Pod") as unknown as Pod | undefined;
    const template = objects.find((o) => o.kind === "ResourceClaimTemplate") as (K8sObject & { spec: { spec: { devices: { requests: Request[] } } } }) | undefined;
    if (!pod || !template) throw new Error(`${file}: expected a Pod and a ResourceClaimTemplate`);
    const deviceCount = template.spec.spec.devices.requests.reduce((n, r) => n + r.exactly.count, 0);
    return { name: f.replace(/\.yaml$/, ""), file, namespace: pod.metadata.namespace, pod, deviceCount };
  });
}

// What each example promises, as a test of a set of devices: complete (any set it accepts, the
// claim could be given), so it also says whether free devices could still serve a Pending Pod.
const promises: Record<string, (d: readonly Device[]) => boolean> = {
  "one-pf": (d) => d.length === 1 && d[0]!.kind === "pf",
  "one-vf": (d) => d.length === 1 && d[0]!.kind === "vf",
  "two-on-one-numa-node": (d) => d.length === 2 && d.map((x) => x.kind).sort().join() === "pf,vf" && d[0]!.numaNode === d[1]!.numaNode,
  "two-vfs-of-one-pf": (d) => d.length === 2 && d.every((x) => x.kind === "vf") && d[0]!.pf !== null && d[0]!.pf === d[1]!.pf,
  "pf-with-compression": (d) => d.length === 1 && d[0]!.kind === "pf" && (d[0]!.capabilities & CAPABILITIES_FIELDS.COMPRESSION.mask) !== 0,
};

function subsets<T>(items: readonly T[], size: number): T[][] {
  if (size === 0) return [[]];
  return items.flatMap((x, i) => subsets(items.slice(i + 1), size - 1).map((rest) => [x, ...rest]));
}

describe.skipIf(kube.skip)("examples/pods against a real control plane (the end-to-end topology, no VMs)", { timeout: 240_000 }, () => {
  let plane: ControlPlane;
  let dir: string;
  let fake: FakeSysfs;
  let driver: RunningDriver;
  let kubelet: KubeletStandIn;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let tree: Device[];
  const log = new MemoryLogger();
  const examples = readExamples();

  const getJson = async <T,>(args: string[]) => JSON.parse(await plane.kubectlOk(["get", ...args, "-o", "json"])) as T;
  const nodeReady = () => {
    const now = new Date().toISOString();
    return plane.request("PATCH", `/api/v1/nodes/${NODE}/status`, {
      status: { conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", lastHeartbeatTime: now, lastTransitionTime: now }] },
    });
  };
  const deviceOf = (name: string) => {
    const d = tree.find((x) => dnsLabelName(x.name) === name);
    if (!d) throw new Error(`allocated ${name} is not a device of the tree`);
    return d;
  };
  const claimOf = async (e: PodRef) => {
    const pod = await getJson<Pod>(["pod", e.name, "-n", e.namespace]);
    const generated = pod.status?.resourceClaimStatuses?.[0]?.resourceClaimName;
    return { pod, claim: generated ? await getJson<Claim>(["resourceclaim", generated, "-n", e.namespace]) : undefined };
  };
  /** The Pod scheduled (bound, claim allocated) or found unschedulable; undefined while neither. */
  const outcome = async (e: PodRef) => {
    const { pod, claim } = await claimOf(e);
    const results = claim?.status?.allocation?.devices.results;
    if (pod.spec.nodeName && results && claim) return { scheduled: true as const, pod, claim, devices: results.map((r) => deviceOf(r.device)), results };
    const cond = pod.status?.conditions?.find((c) => c.type === "PodScheduled");
    if (!pod.spec.nodeName && cond?.status === "False" && cond.reason === "Unschedulable" && !results) return { scheduled: false as const, pod };
    return undefined;
  };
  const scheduledOutcome = async (e: PodRef) => {
    const o = await outcome(e);
    if (o && !o.scheduled) throw new Error(`${e.name} is unschedulable: ${o.pod.status?.conditions?.find((c) => c.type === "PodScheduled")?.message ?? "no message"}`);
    return o;
  };
  /** Deletes the examples' Pods (no kubelet finishes a graceful delete) and waits for their claims to go. */
  const removePods = async (list: readonly PodRef[]) => {
    for (const e of list) await plane.kubectlOk(["delete", "pod", e.name, "-n", e.namespace, "--grace-period=0", "--force", "--ignore-not-found"]);
    for (const e of list) {
      await eventually(`${e.name}'s claim deleted with its Pod`, async () =>
        (await getJson<{ items: unknown[] }>(["resourceclaims", "-n", e.namespace])).items.length === 0 ? true : undefined, 60_000);
    }
  };

  const loadTree = async (): Promise<Device[]> => {
    const found = await new MockAccelSysfs({ root: fake.root }).discover();
    return Promise.all(found.map(async (d) => ({ name: d.name, kind: d.kind, numaNode: d.numaNode, pf: d.pf?.name ?? null, capabilities: await d.read("capabilities") })));
  };
  const published = async () => (await getJson<{ items: { spec: { devices: { name: string }[] } }[] }>(["resourceslices", "--field-selector", `spec.driver=${DRIVER}`]))
    .items.flatMap((s) => s.spec.devices.map((d) => d.name)).sort();
  /** HOLDER's Pod, scheduled with one device its template (a name used once: templates are immutable) asks for. */
  const hold = async (template: string, request: Record<string, unknown>) => {
    await plane.kubectlOk(["apply", "-f", "-"], { input: [
      { apiVersion: "v1", kind: "Namespace", metadata: { name: HOLDER.namespace } },
      { apiVersion: "resource.k8s.io/v1", kind: "ResourceClaimTemplate", metadata: { name: template, namespace: HOLDER.namespace }, spec: { spec: { devices: { requests: [request] } } } },
      { apiVersion: "v1", kind: "Pod", metadata: HOLDER,
        spec: { resourceClaims: [{ name: "accel", resourceClaimTemplateName: template }], containers: [{ name: "c", image: IMAGE_REFS.workload, imagePullPolicy: "Never", resources: { claims: [{ name: "accel" }] } }] } },
    ].map((o) => stringify(o)).join("---\n") });
    return eventually(`${HOLDER.name} scheduled (${template})`, async () => scheduledOutcome(HOLDER), 90_000);
  };
  /** The example's Pod found unschedulable because no devices can serve its claim (not for want of the claim itself). */
  const waitsForDevices = async (e: PodRef) => {
    const waiting = await eventually(`${e.name} found unschedulable for want of devices`, async () => {
      const { pod, claim } = await claimOf(e);
      const cond = pod.status?.conditions?.find((c) => c.type === "PodScheduled");
      return claim && cond?.status === "False" && /cannot allocate all claims/.test(cond.message ?? "") ? { pod, claim } : undefined;
    }, 90_000);
    expect(waiting.pod.spec.nodeName).toBeUndefined();
    expect(waiting.claim.status?.allocation).toBeUndefined();
  };

  beforeAll(async () => {
    assertAvailable(kube);
    plane = await startControlPlane();
    await plane.kubectlOk(["apply", "-f", "-"], { input: stringify({ apiVersion: "v1", kind: "Node", metadata: { name: NODE, labels: { "kubernetes.io/hostname": NODE } } }) });
    const resources = { cpu: "8", memory: "16Gi", pods: "50" };
    expect((await plane.request("PATCH", `/api/v1/nodes/${NODE}/status`, { status: { capacity: resources, allocatable: resources } })).status).toBe(200);
    // Heartbeats as a kubelet sends them, so the node lifecycle controller never taints the
    // Node: the examples carry no tolerations, and must be scheduled as they are.
    expect((await nodeReady()).status).toBe(200);
    heartbeat = setInterval(() => void nodeReady().catch(() => undefined), 5_000);
    // The chart installs the DeviceClasses the examples name.
    await plane.kubectlOk(["apply", "-f", "-"], { input: renderObjects({ driverName: DRIVER }).filter((o) => o.kind === "DeviceClass").map((o) => stringify(o)).join("---\n") });

    dir = mkdtempSync(join(tmpdir(), "dra-example-pods-"));
    fake = await createFakeSysfs(join(dir, "sys"), demoFakeTopology());
    tree = await loadTree();
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(plane.kubeconfig);
    driver = await startDriver({
      driverName: DRIVER, nodeName: NODE, kubeConfig, log, watchIntervalMs: 100,
      sysfsRoot: fake.root, registrarDir: join(dir, "plugins_registry"), pluginDir: join(dir, "plugins", DRIVER),
      cdiDir: join(dir, "cdi"), checkpointPath: join(dir, "plugins", DRIVER, "checkpoint.json"),
    });
    kubelet = new KubeletStandIn(join(dir, "plugins_registry"));
    await kubelet.register(DRIVER);
    await eventually("the tree's devices published", async () => ((await published()).length === tree.length ? true : undefined));
  }, 300_000);

  // Each test starts from a node with every device free, whatever the one before left.
  afterEach(async () => {
    if (plane) await removePods([...examples, HOLDER]);
  }, 120_000);

  afterAll(async () => {
    if (heartbeat) clearInterval(heartbeat);
    kubelet?.close();
    await driver?.stop();
    await plane?.stop();
    await fake?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("the tree is examples/demo.yaml's: a PF with two VFs on NUMA node 0, a PF on NUMA node 1", () => {
    expect(tree.map((d) => [d.kind, d.numaNode, d.pf]).sort()).toEqual([["pf", 0, null], ["pf", 1, null], ["vf", 0, "mock0"], ["vf", 0, "mock0"]].sort());
    expect(Object.keys(promises).sort(), "every example file has a promise in this test").toEqual(examples.map((e) => e.name).sort());
  });

  it.each(readExamples().map((e) => [e.name, e] as const))(
    "%s: applied as it is, its Pod is scheduled on the node with devices that keep its promise; prepared, its own script reports them",
    async (name, e: Example) => {
      await plane.kubectlOk(["apply", "-f", e.file]);
      const done = await eventually(`${name} scheduled`, async () => scheduledOutcome(e), 90_000);
      expect(done.pod.spec.nodeName).toBe(NODE);
      const c = done.pod.spec.containers[0]!;
      expect([c.image, c.imagePullPolicy]).toEqual([IMAGE_REFS.workload, "Never"]);
      expect(done.results.every((r) => r.driver === DRIVER && r.pool === NODE)).toBe(true);
      expect(promises[name]!(done.devices), `${name} got ${JSON.stringify(done.devices)}`).toBe(true);

      // The kubelet's part: prepare, then what the CDI spec gives the container.
      const ref = { namespace: e.namespace, name: done.claim.metadata.name, uid: claimUid(done.claim.metadata.uid) };
      const prepared = await kubelet.prepare([ref]);
      expect(prepared.claims[ref.uid]!.error).toBe("");
      const sysfs = new MockAccelSysfs({ root: fake.root });
      for (const d of tree) {
        const allocated = done.devices.includes(d);
        expect(((await (await sysfs.get(d.name)).read("status")) & STATUS_ALLOCATED) !== 0, `${d.name} STATUS allocated`).toBe(allocated);
      }
      const specPath = cdiSpecPath(join(dir, "cdi"), DRIVER, ref.uid);
      const spec = JSON.parse(readFileSync(specPath, "utf8")) as CdiSpec;
      const edits = [spec.containerEdits, ...spec.devices.map((d) => d.containerEdits)];
      const env = Object.fromEntries(edits.flatMap((x) => x?.env ?? []).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
      const nodes = edits.flatMap((x) => x?.deviceNodes ?? []).map((n) => n.path);
      const run = await runReportScript(c.command[2]!, nodes, env);
      expect(run.exitCode).toBe(0);
      const report = parseExampleLog(run.log);
      expect(report.complete).toBe(true);
      const names = done.devices.map((d) => d.name).sort();
      expect(report.devices.sort()).toEqual(names.map((n) => `/dev/${n}`));
      expect(names).toContain(report.env.MOCK_ACCEL_DEVICE);
      expect(report.env.MOCK_ACCEL_DEVICES?.split(",").sort()).toEqual(names.length > 1 ? names : undefined);
      expect(Object.keys(report.env).every((k) => k.startsWith("MOCK_ACCEL_"))).toBe(true);

      const unprepared = await kubelet.unprepare([ref]);
      expect(unprepared.claims[ref.uid]!.error).toBe("");
      for (const d of done.devices) expect(((await (await sysfs.get(d.name)).read("status")) & STATUS_ALLOCATED)).toBe(0);
      expect(existsSync(specPath)).toBe(false);
    },
  );

  it("two-on-one-numa-node keeps to one NUMA node: with node 0's PF taken it waits rather than take node 1's PF and a node 0 VF, and runs once that PF is free", async () => {
    const e = examples.find((x) => x.name === "two-on-one-numa-node")!;
    const held = await hold("numa0-pf", exactRequest("pf", "pf", 1, [{ cel: { expression: `device.attributes["${DRIVER}"].${ATTRIBUTES.numa_node.dra!.name} == 0` } }]));
    expect(held.devices.map((d) => [d.kind, d.numaNode])).toEqual([["pf", 0]]);
    await plane.kubectlOk(["apply", "-f", e.file]);
    await waitsForDevices(e);

    await removePods([HOLDER]);
    const done = await eventually(`${e.name} scheduled once node 0's PF is free`, async () => scheduledOutcome(e), 90_000);
    expect(done.devices.map((d) => [d.kind, d.numaNode]).sort()).toEqual([["pf", 0], ["vf", 0]]);
  });

  it("all of them applied at once (`kubectl apply -f examples/pods/`): no device given twice, every scheduled Pod keeps its promise, and every Pending one could not be served by the devices left", async () => {
    await plane.kubectlOk(["apply", "-f", EXAMPLE_PODS_DIR]);
    // Checked until it holds: a Pod the scheduler finds unschedulable for a moment (its claim
    // not made yet, or devices held by an allocation in flight) is tried again.
    const { scheduled, pending } = await eventually("every Pod scheduled, or Pending for want of devices", async () => {
      const all = await Promise.all(examples.map(async (e) => ({ e, o: await outcome(e) })));
      if (!all.every((x) => x.o !== undefined)) return undefined;
      const ran = all.flatMap((x) => (x.o?.scheduled ? [{ e: x.e, devices: x.o.devices }] : []));
      const waiting = all.filter((x) => !x.o!.scheduled).map((x) => x.e);
      const used = ran.flatMap((x) => x.devices);
      if (new Set(used).size !== used.length) throw new Error(`a device in two claims: ${used.map((d) => d.name).join(", ")}`);
      for (const x of ran) if (!promises[x.e.name]!(x.devices)) throw new Error(`${x.e.name} got ${x.devices.map((d) => d.name).join(", ")}`);
      const free = tree.filter((d) => !used.includes(d));
      for (const e of waiting) {
        if (subsets(free, e.deviceCount).some((set) => promises[e.name]!(set))) throw new Error(`${e.name} is Pending though ${free.map((d) => d.name).join(", ")} are free`);
      }
      return { scheduled: ran, pending: waiting };
    }, 120_000);
    // Seven devices asked of four: they cannot all run (examples/pods/README.md says so).
    expect(examples.reduce((n, e) => n + e.deviceCount, 0)).toBeGreaterThan(tree.length);
    expect(pending.length).toBeGreaterThan(0);
    console.log(`all at once: ran ${scheduled.map((x) => x.e.name).join(", ")}; pending ${pending.map((e) => e.name).join(", ")}`);
  });

  it(`${FIT_TOGETHER.join(", ")} applied at once all run, between them on every device of the topology`, async () => {
    const group = FIT_TOGETHER.map((n) => examples.find((e) => e.name === n)!);
    await plane.kubectlOk(["apply", ...group.flatMap((e) => ["-f", e.file])]);
    const done = await Promise.all(group.map((e) => eventually(`${e.name} scheduled`, async () => scheduledOutcome(e), 120_000)));
    const used = done.flatMap((o) => o.devices);
    expect(used.map((d) => d.name).sort()).toEqual(tree.map((d) => d.name).sort());
    group.forEach((e, i) => expect(promises[e.name]!(done[i]!.devices), e.name).toBe(true));
  });

  it("two-vfs-of-one-pf keeps to one PF: with one of node 0's VFs taken and a VF of another PF free, it waits, and runs once node 0's VF is free", async () => {
    const e = examples.find((x) => x.name === "two-vfs-of-one-pf")!;
    // examples/demo.yaml has VFs on one PF only; a second PF with a VF makes the constraint matter.
    const added = await fake.addDevice({ numaNode: 1, totalVfs: 1, enabledVfs: 1 });
    try {
      tree = await loadTree();
      await eventually("the added PF and its VF published", async () => ((await published()).length === tree.length ? true : undefined));
      const pf0 = await new MockAccelSysfs({ root: fake.root }).get("mock0");
      const held = await hold("one-vf-of-mock0", exactRequest("vf", "vf", 1, [{ cel: { expression: `device.attributes["${DRIVER}"].physFn == "${pf0.pciAddress}"` } }]));
      expect(held.devices.map((d) => d.pf)).toEqual(["mock0"]);
      const freeVfs = tree.filter((d) => d.kind === "vf" && !held.devices.includes(d));
      expect(new Set(freeVfs.map((d) => d.pf)).size, "two free VFs, of two PFs").toBe(2);
      await plane.kubectlOk(["apply", "-f", e.file]);
      await waitsForDevices(e);
      await removePods([HOLDER]);
      const done = await eventually(`${e.name} scheduled once node 0's VF is free`, async () => scheduledOutcome(e), 90_000);
      expect(done.devices.map((d) => d.pf)).toEqual(["mock0", "mock0"]);
    } finally {
      await removePods([...examples, HOLDER]);
      await fake.removeDevice(added, { pci: true });
      tree = await loadTree();
      await eventually("the added PF withdrawn", async () => ((await published()).length === tree.length ? true : undefined));
    }
  });
});
