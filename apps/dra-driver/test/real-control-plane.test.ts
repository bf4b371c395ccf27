// The driver against a real control plane built from upstream sources (no stand-in API server):
// the real kube-apiserver validates every ResourceSlice, the real kube-scheduler allocates the
// example claims through the DeviceClasses' CEL, and the driver's kubelet plugin is then called
// for those real allocations the way the kubelet calls it.
import { KubeConfig } from "@kubernetes/client-node";
import { findKubernetes, installCommand, startControlPlane, type ControlPlane } from "@mock-accel/cluster";
import { CAPABILITIES_FIELDS, createFakeSysfs, dnsLabelName, MockAccelSysfs, type FakeSysfs } from "@mock-accel/sysfs-client";
import { assertAvailable, requirement, eventually } from "@mock-accel/testkit";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { cdiSpecPath, type CdiSpec } from "../src/cdi.ts";
import { claimUid } from "../src/claim-uid.ts";
import { startDriver, type RunningDriver } from "../src/driver.ts";
import { MemoryLogger } from "../src/logger.ts";
import { exampleClaims, renderObjects, type K8sObject } from "../src/manifests.ts";
import { KubeletStandIn } from "./stand-ins/kubelet.ts";

const DRIVER = "mock-accel.example.com";
const NODE = "mock-node-a";
const NAMESPACE = "mock-accel-test";
const kube = requirement("Kubernetes components built from source", findKubernetes().ok, installCommand());

interface SliceList { items: { spec: { driver: string; nodeName: string; pool: { name: string }; devices: { name: string; attributes: Record<string, Record<string, unknown>> }[] } }[] }
interface AllocationResult { request: string; driver: string; pool: string; device: string }
interface Claim { metadata: { name: string; namespace: string; uid: string }; status?: { allocation?: { devices: { results: AllocationResult[] } } } }


describe.skipIf(kube.skip)("the DRA driver against a real control plane", { timeout: 180_000 }, () => {
  let plane: ControlPlane;
  let dir: string;
  let fake: FakeSysfs;
  let driver: RunningDriver;
  let kubelet: KubeletStandIn;
  const log = new MemoryLogger();

  const slices = async () => JSON.parse(await plane.kubectlOk(["get", "resourceslices", "--field-selector", `spec.driver=${DRIVER}`, "-o", "json"])) as SliceList;
  const publishedDevices = async () => (await slices()).items.flatMap((s) => s.spec.devices).map((d) => d.name).sort();
  const shownDevices = () => fake.functions.filter((f) => fake.isShown(f.name)).map((f) => dnsLabelName(f.name)).sort();
  const apply = (objects: readonly unknown[], extra: string[] = []) =>
    plane.kubectlOk(["apply", "--server-side", "--field-manager=mock-accel-test", ...extra, "-f", "-"], { input: objects.map((o) => stringify(o)).join("---\n") });

  beforeAll(async () => {
    assertAvailable(kube);
    plane = await startControlPlane();
    // A Node the scheduler can place Pods on: registered, Ready, with room for them.
    await apply([{ apiVersion: "v1", kind: "Node", metadata: { name: NODE, labels: { "kubernetes.io/hostname": NODE } } }]);
    const now = new Date().toISOString();
    const resources = { cpu: "8", memory: "16Gi", pods: "50" };
    const patched = await plane.request("PATCH", `/api/v1/nodes/${NODE}/status`, {
      status: { capacity: resources, allocatable: resources, conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", lastHeartbeatTime: now, lastTransitionTime: now }] },
    });
    expect(patched.status).toBe(200);
    await apply([{ apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } }]);

    dir = mkdtempSync(join(tmpdir(), "dra-real-cp-"));
    // PF vs VF, two PFs on NUMA node 0, two VFs of one PF, and a PF on node 1 with encryption.
    const withEncryption = CAPABILITIES_FIELDS.COMPUTE.mask | CAPABILITIES_FIELDS.ENCRYPTION.mask;
    fake = await createFakeSysfs(join(dir, "sys"), [{ numaNode: 0, totalVfs: 2, enabledVfs: 2 }, { numaNode: 0 }, { numaNode: 1, capabilities: withEncryption }]);
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(plane.kubeconfig);
    driver = await startDriver({
      driverName: DRIVER, nodeName: NODE, kubeConfig, log, watchIntervalMs: 100,
      sysfsRoot: fake.root, registrarDir: join(dir, "plugins_registry"), pluginDir: join(dir, "plugins", DRIVER),
      cdiDir: join(dir, "cdi"), checkpointPath: join(dir, "plugins", DRIVER, "checkpoint.json"),
    });
    kubelet = new KubeletStandIn(join(dir, "plugins_registry"));
    await kubelet.register(DRIVER);
  }, 240_000);

  afterAll(async () => {
    kubelet?.close();
    await driver?.stop();
    await plane?.stop();
    await fake?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("publishes ResourceSlices the real API server accepts, listed by `kubectl get resourceslices --field-selector spec.driver=`", async () => {
    await eventually("the driver's devices in ResourceSlices", async () => ((await publishedDevices()).join() === shownDevices().join() ? true : undefined));
    const list = await slices();
    for (const s of list.items) {
      expect(s.spec.nodeName).toBe(NODE);
      expect(s.spec.pool.name).toBe(NODE);
    }
    const mock0 = list.items.flatMap((s) => s.spec.devices).find((d) => d.name === "mock0")!;
    expect(mock0.attributes[`${DRIVER}/deviceType`]).toEqual({ string: "pf" });
    // The old mock-device driver's attributes go through the API server's validation too: an
    // int attribute named like the memory capacity, and a VF's PF name.
    const vf0 = list.items.flatMap((s) => s.spec.devices).find((d) => d.name === "mock0-vf0")!;
    expect(vf0.attributes[`${DRIVER}/physfn`]).toEqual({ string: "mock0" });
    expect(vf0.attributes[`${DRIVER}/memory`]).toEqual({ int: 2 * 2 ** 30 });
    expect(log.lines.filter((l) => l.startsWith("error:"))).toEqual([]);
  });

  it("follows the tree: a device added and removed appears in and leaves the slices", async () => {
    const added = await fake.addDevice({ numaNode: 1 });
    await eventually(`${added} published`, async () => ((await publishedDevices()).includes(dnsLabelName(added)) ? true : undefined));
    await fake.removeDevice(added);
    await eventually(`${added} withdrawn`, async () => ((await publishedDevices()).includes(dnsLabelName(added)) ? undefined : true));
    expect(await publishedDevices()).toEqual(shownDevices());
  });

  it("slices the kubelet wipes at its start (all of the node's) come back through the watch, owned by the Node", async () => {
    const before = await publishedDevices();
    await plane.kubectlOk(["delete", "resourceslices", "--field-selector", `spec.nodeName=${NODE}`]);
    // The driver resyncs only every 60 s by default: seeing them again within this wait is the watch.
    await eventually("the slices republished", async () => ((await publishedDevices()).join() === before.join() ? true : undefined), 20_000);
    const nodeUid = (await plane.kubectlOk(["get", "node", NODE, "-o", "jsonpath={.metadata.uid}"])).trim();
    const owners = JSON.parse(await plane.kubectlOk(["get", "resourceslices", "--field-selector", `spec.nodeName=${NODE}`, "-o", "jsonpath={.items[*].metadata.ownerReferences}"]).then((t) => `[${t.trim().split(/\s+/).join(",")}]`)) as { kind: string; name: string; uid: string }[][];
    expect(owners.length).toBeGreaterThan(0);
    for (const o of owners) expect(o).toEqual([expect.objectContaining({ kind: "Node", name: NODE, uid: nodeUid })]);
  });

  it("everything `dra manifests` prints applies with kubectl apply --server-side (but the KMM Module, whose CRD is KMM's)", async () => {
    const objects = renderObjects({ driverName: DRIVER });
    const kmm = objects.filter((o) => o.apiVersion.startsWith("kmm.sigs.x-k8s.io/"));
    expect(kmm.map((o) => o.kind)).toEqual(["Module"]);
    const rest = objects.filter((o) => !kmm.includes(o));
    const out = await apply(rest);
    for (const o of rest) expect(out).toContain(`${o.kind.toLowerCase()}`);
    // Without KMM installed the API server names what is missing rather than accepting it.
    const refused = await plane.kubectl(["apply", "--server-side", "-f", "-"], { input: stringify(kmm[0]) });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/no matches for kind "Module"/);
  });

  it("as the DaemonSet's ServiceAccount in a Pod on its node, the driver may publish that node's slices and no other's (RBAC and the admission policy, enforced)", async () => {
    const objects = renderObjects({ driverName: DRIVER });
    await apply(objects.filter((o) => !o.apiVersion.startsWith("kmm.sigs.x-k8s.io/")));
    const ds = objects.find((o) => o.kind === "DaemonSet") as K8sObject & { spec: { template: { spec: { serviceAccountName: string } } } };
    const namespace = ds.metadata.namespace!;
    const sa = ds.spec.template.spec.serviceAccountName;
    const other = "mock-node-b";
    await apply([{ apiVersion: "v1", kind: "Node", metadata: { name: other, labels: { "kubernetes.io/hostname": other } } }]);
    // A Pod already bound to the node stands for the DaemonSet's pod there: its token carries the node name.
    await apply([{ apiVersion: "v1", kind: "Pod", metadata: { name: "driver-on-b", namespace }, spec: { nodeName: other, serviceAccountName: sa, tolerations: [{ operator: "Exists" }], containers: [{ name: "driver", image: "example.invalid/driver" }] } }]);
    const token = (await plane.kubectlOk(["create", "token", sa, "-n", namespace, "--bound-object-kind=Pod", "--bound-object-name=driver-on-b", "--bound-object-uid",
      (await plane.kubectlOk(["get", "pod", "driver-on-b", "-n", namespace, "-o", "jsonpath={.metadata.uid}"])).trim()])).trim();
    const asDriver = new KubeConfig();
    asDriver.loadFromOptions({
      clusters: [{ name: "cp", server: plane.server, caData: readFileSync(plane.pki.ca.cert).toString("base64") }],
      users: [{ name: "driver", token }],
      contexts: [{ name: "cp", cluster: "cp", user: "driver" }],
      currentContext: "cp",
    });
    const sub = mkdtempSync(join(dir, "node-b-"));
    const fakeB = await createFakeSysfs(join(sub, "sys"), [{ numaNode: 0 }]);
    const logB = new MemoryLogger();
    const driverB = await startDriver({
      driverName: DRIVER, nodeName: other, kubeConfig: asDriver, log: logB, watchIntervalMs: 100,
      sysfsRoot: fakeB.root, registrarDir: join(sub, "reg"), pluginDir: join(sub, "plugin"), cdiDir: join(sub, "cdi"), checkpointPath: join(sub, "plugin", "checkpoint.json"),
    });
    try {
      await eventually(`${other}'s slice published with the ServiceAccount's token`, async () => {
        const mine = (await slices()).items.filter((s) => s.spec.nodeName === other);
        return mine.length > 0 ? mine : undefined;
      });
      expect(logB.lines.filter((l) => l.startsWith("error:"))).toEqual([]);
      // The same credentials may not touch another node's slices.
      const forged = {
        apiVersion: "resource.k8s.io/v1", kind: "ResourceSlice", metadata: { name: `forged-${Date.now()}` },
        spec: { driver: DRIVER, nodeName: NODE, pool: { name: `${NODE}-forged`, generation: 1, resourceSliceCount: 1 }, devices: [{ name: "forged0" }] },
      };
      const res = await fetch(`${plane.server}/apis/resource.k8s.io/v1/resourceslices`, {
        method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(forged),
        tls: { ca: readFileSync(plane.pki.ca.cert, "utf8") },
      } as RequestInit);
      const body = await res.text();
      // A ValidatingAdmissionPolicy's failed validation is reason Invalid (422) unless it sets one.
      expect(res.status, body).toBe(422);
      expect(body).toContain("ValidatingAdmissionPolicy 'mock-accel-dra-kubelet-plugin-own-node'");
      expect(body).toContain(`may only change ResourceSlices of its own node`);
    } finally {
      await driverB.stop();
      await fakeB.cleanup();
      await plane.kubectl(["delete", "pod", "driver-on-b", "-n", namespace, "--grace-period=0", "--force"]);
      await plane.kubectl(["delete", "resourceslices", "--field-selector", `spec.nodeName=${other}`]);
    }
  });

  it("a prioritized-list claim: the scheduler allocates `accel/vf`, and the plugin reports request `accel` as the kubelet matches it", async () => {
    await apply(renderObjects({ driverName: DRIVER }).filter((o) => o.kind === "DeviceClass"));
    const name = "first-available";
    await apply([{
      apiVersion: "resource.k8s.io/v1", kind: "ResourceClaim", metadata: { name, namespace: NAMESPACE },
      spec: { devices: { requests: [{ name: "accel", firstAvailable: [
        // No PF of the tree has 1Ti: the scheduler must fall through to the VF.
        { name: "huge", deviceClassName: "mock-accel-pf", selectors: [{ cel: { expression: `device.capacity["${DRIVER}"].memory.compareTo(quantity("1Ti")) >= 0` } }] },
        { name: "vf", deviceClassName: "mock-accel-vf" },
      ] }] } },
    }]);
    await apply([{
      apiVersion: "v1", kind: "Pod", metadata: { name: `uses-${name}`, namespace: NAMESPACE },
      spec: { tolerations: [{ operator: "Exists" }], resourceClaims: [{ name: "accel", resourceClaimName: name }],
        containers: [{ name: "main", image: "example.invalid/never-pulled", resources: { claims: [{ name: "accel", request: "accel" }] } }] },
    }]);
    const claim = await eventually(`claim ${name} allocated`, async () => {
      const c = JSON.parse(await plane.kubectlOk(["get", "resourceclaim", name, "-n", NAMESPACE, "-o", "json"])) as Claim;
      return c.status?.allocation ? c : undefined;
    });
    expect(claim.status!.allocation!.devices.results.map((r) => r.request)).toEqual(["accel/vf"]);
    const ref = { namespace: NAMESPACE, name, uid: claimUid(claim.metadata.uid) };
    const prepared = await kubelet.prepare([ref]);
    expect(prepared.claims[ref.uid]!.error).toBe("");
    expect(prepared.claims[ref.uid]!.devices.map((d) => d.requestNames)).toEqual([["accel"]]);
    expect((await kubelet.unprepare([ref])).claims[ref.uid]!.error).toBe("");
    await plane.kubectlOk(["delete", "pod", `uses-${name}`, "-n", NAMESPACE, "--grace-period=0", "--force"]);
    await plane.kubectlOk(["delete", "resourceclaim", name, "-n", NAMESPACE, "--timeout=60s"]);
  });

  // What each example claim must get, in the terms its description uses.
  const expectations: Record<string, (devices: { name: string; kind: string; numaNode: number; pf: string | null; capabilities: number }[]) => void> = {
    "one-pf": (d) => {
      expect(d).toHaveLength(1);
      expect(d[0]!.kind).toBe("pf");
    },
    "two-on-one-numa-node": (d) => {
      expect(d).toHaveLength(2);
      expect(d.every((x) => x.kind === "pf")).toBe(true);
      expect(d[0]!.numaNode).toBe(d[1]!.numaNode);
    },
    "two-vfs-of-one-pf": (d) => {
      expect(d).toHaveLength(2);
      expect(d.every((x) => x.kind === "vf")).toBe(true);
      expect(d[0]!.pf).not.toBeNull();
      expect(d[0]!.pf).toBe(d[1]!.pf);
    },
    "pf-with-8gi": (d) => {
      expect(d).toHaveLength(1);
      expect(d[0]!.kind).toBe("pf");
    },
    "pf-with-encryption": (d) => {
      // Only one PF of the tree has the bit: the scheduler must find it through the boolean attribute.
      expect(d).toHaveLength(1);
      expect(d[0]!.kind).toBe("pf");
      expect(d[0]!.capabilities & CAPABILITIES_FIELDS.ENCRYPTION.mask).not.toBe(0);
    },
  };

  it.each(exampleClaims(DRIVER, NAMESPACE).map((c) => [c.object.metadata.name, c.object] as const))(
    "the real scheduler allocates example claim %s as its constraints say, and the plugin prepares it",
    async (name, object: K8sObject) => {
      const check = expectations[name];
      if (!check) throw new Error(`example claim ${name} has no expectation in this test: add one`);
      await apply(renderObjects({ driverName: DRIVER }).filter((o) => o.kind === "DeviceClass"));
      await apply([object]);
      const pod = {
        apiVersion: "v1", kind: "Pod", metadata: { name: `uses-${name}`, namespace: NAMESPACE },
        spec: {
          // No kubelet runs this Pod; the Node's taints (no heartbeats) must not keep the scheduler away.
          tolerations: [{ operator: "Exists" }],
          resourceClaims: [{ name: "accel", resourceClaimName: name }],
          containers: [{ name: "main", image: "example.invalid/never-pulled", resources: { claims: [{ name: "accel" }] } }],
        },
      };
      await apply([pod]);
      const claim = await eventually(`claim ${name} allocated`, async () => {
        const c = JSON.parse(await plane.kubectlOk(["get", "resourceclaim", name, "-n", NAMESPACE, "-o", "json"])) as Claim;
        return c.status?.allocation ? c : undefined;
      });
      const results = claim.status!.allocation!.devices.results;
      expect(results.every((r) => r.driver === DRIVER && r.pool === NODE)).toBe(true);
      const sysfs = new MockAccelSysfs({ root: fake.root });
      const all = await sysfs.discover();
      const devices = await Promise.all(results.map(async (r) => {
        const d = all.find((x) => dnsLabelName(x.name) === r.device);
        if (!d) throw new Error(`allocated ${r.device} is not a device of the tree`);
        return { name: d.name, kind: d.kind, numaNode: d.numaNode, pf: d.pf?.name ?? null, capabilities: await d.read("capabilities") };
      }));
      check(devices);
      const boundTo = (await plane.kubectlOk(["get", "pod", pod.metadata.name, "-n", NAMESPACE, "-o", "jsonpath={.spec.nodeName}"])).trim();
      expect(boundTo).toBe(NODE);

      // The kubelet's part: prepare the real allocation, check STATUS and CDI, then unprepare.
      const ref = { namespace: NAMESPACE, name, uid: claimUid(claim.metadata.uid) };
      const prepared = await kubelet.prepare([ref]);
      expect(prepared.claims[ref.uid]!.error).toBe("");
      expect(prepared.claims[ref.uid]!.devices.map((d) => d.deviceName).sort()).toEqual(results.map((r) => r.device).sort());
      for (const r of results) expect(prepared.claims[ref.uid]!.devices.find((d) => d.deviceName === r.device)!.requestNames).toEqual([r.request]);
      for (const d of devices) expect(await (await sysfs.get(d.name)).read("status")).toBe(1);
      const spec = JSON.parse(readFileSync(cdiSpecPath(join(dir, "cdi"), DRIVER, ref.uid), "utf8")) as CdiSpec;
      expect(spec.devices.length).toBeGreaterThan(0);
      const unprepared = await kubelet.unprepare([ref]);
      expect(unprepared.claims[ref.uid]!.error).toBe("");
      for (const d of devices) expect(await (await sysfs.get(d.name)).read("status")).toBe(0);
      expect(existsSync(cdiSpecPath(join(dir, "cdi"), DRIVER, ref.uid))).toBe(false);

      // Free the devices for the next claim: no kubelet will finish a graceful delete.
      await plane.kubectlOk(["delete", "pod", pod.metadata.name, "-n", NAMESPACE, "--grace-period=0", "--force"]);
      await plane.kubectlOk(["delete", "resourceclaim", name, "-n", NAMESPACE, "--timeout=60s"]);
    },
  );
});
