// End to end, as a user gets it: `cluster up`'s startVmCluster brings up the control plane, the
// topology's devices over vfio-user, a QEMU guest joined as a node (containerd, the kubelet,
// mock_accel.ko), and this driver installed with the Helm chart from an image imported from a
// file. Then every example in examples/pods runs on it as it is, and the device server on the
// host sees STATUS's allocated bit set on exactly the devices each claim got, and cleared when
// the Pod goes, also across a restart of the driver's Pod.
import { DRIVER_NAMESPACE, DRIVER_RELEASE, findKubernetes, installCommand, kubectlFor, startVmCluster, type Kubectl, type VmCluster } from "@mock-accel/cluster";
import { buildNodeImages, IMAGE_REFS } from "@mock-accel/node-image";
import { REG } from "@mock-accel/server";
import { ATTRIBUTES, dnsLabelName, pfDeviceName, vfDeviceName } from "@mock-accel/sysfs-client";
import { assertAvailable, eventually, requirement } from "@mock-accel/testkit";
import { findVfioUserQemu, REPO_ROOT } from "@mock-accel/vm-harness";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CDI_CLASS } from "../src/cdi.ts";
import { DEFAULT_CDI_DIR as CDI_DIR, DEFAULT_DRIVER_NAME } from "../src/driver.ts";
import { EXAMPLE_PODS_DIR, examplePods, FIT_TOGETHER, parseExampleLog } from "../src/example-pods/generate-pods.ts";

const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
const kube = requirement("Kubernetes components built from source", findKubernetes().ok, installCommand());
const qemuFound = await findVfioUserQemu({ install: false });
const qemu = requirement("a QEMU with vfio-user-pci", qemuFound !== null, "bash scripts/install-qemu-vfio-user.sh -v");
const tools = requirement("umoci, socat and mkfs.ext4", ["umoci", "socat", "mkfs.ext4"].every(has), "apt-get install umoci socat e2fsprogs");
const skip = kube.skip || qemu.skip || tools.skip;

const TOPOLOGY = join(REPO_ROOT, "examples", "demo.yaml");
// Pods start in seconds, but a guest under TCG on a loaded machine can take minutes.
const TEST_TIMEOUT = 600_000;
const STATUS = REG.STATUS.name;
const STATUS_ALLOCATED = REG.STATUS.fields.find((f) => f.name === "ALLOCATED")!.mask;
// Slices name attributes qualified by the driver (the chart's default name).
const UUID_ATTRIBUTE = `${DEFAULT_DRIVER_NAME}/${ATTRIBUTES.uuid.dra!.name}`;
const NUMA_ATTRIBUTE = `${DEFAULT_DRIVER_NAME}/${ATTRIBUTES.numa_node.dra!.name}`;

interface Slice { spec: { nodeName?: string; devices?: { name: string; attributes?: Record<string, { string?: string; int?: number }> }[] } }
interface Claim { metadata: { name: string }; status?: { allocation?: { devices?: { results?: { device: string }[] } } } }

describe.skipIf(skip)("a cluster whose node is a QEMU guest (cluster up examples/demo.yaml)", () => {
  let runDir: string;
  let cluster: VmCluster;
  let kubectl: Kubectl;
  let ok: (args: string[], input?: string) => Promise<string>;
  /** STATUS of each served device (by topology device id), as the host's server last saw the guest write it. */
  const status = new Map<string, bigint>();
  /** Slice device name (mock0, mock0-vf1) → topology device id, through the uuid attribute. */
  const deviceIdBySliceName = new Map<string, string>();

  beforeAll(async () => {
    for (const r of [kube, qemu, tools]) assertAvailable(r);
    runDir = join(mkdtempSync(join(tmpdir(), "mock-accel-vm-cluster-")), "run");
    const images = await buildNodeImages();
    cluster = await startVmCluster({ topologyFile: TOPOLOGY, runDir, images: Object.values(images).map((i) => i.archive), onProgress: (l) => console.log(`[cluster up] ${l}`) });
    ({ kubectl, ok } = kubectlFor(cluster.controlPlane.binaries, cluster.kubeconfig));
    const idBySocket = new Map(cluster.devices.devices.map((d) => [d.socketPath, d.device.id]));
    cluster.devices.host.on("register-write", (e) => {
      if (e.name === STATUS) status.set(idBySocket.get(e.socketPath) ?? e.socketPath, e.value);
    });
  }, 900_000);

  afterAll(async () => {
    await cluster?.stop();
    if (runDir) rmSync(join(runDir, ".."), { recursive: true, force: true });
  }, 120_000);

  /** The node is the topology's one VM, named as `cluster up` names it. */
  const nodeName = () => cluster.nodes[0]!.name;
  const slices = async (): Promise<Slice[]> => (JSON.parse(await ok(["get", "resourceslices", "-o", "json"])) as { items: Slice[] }).items;
  const allocatedOn = () => [...status.entries()].filter(([, v]) => (v & STATUS_ALLOCATED) !== 0n).map(([id]) => id).sort();

  it("the node is Ready and its ResourceSlices list the four devices with the UUIDs and NUMA nodes the host serves", async () => {
    const node = JSON.parse(await ok(["get", "node", nodeName(), "-o", "json"])) as { status: { conditions: { type: string; status: string }[] } };
    expect(node.status.conditions.find((c) => c.type === "Ready")?.status).toBe("True");
    const devices = (await slices()).flatMap((s) => (s.spec.devices ?? []).map((d) => ({ node: s.spec.nodeName, ...d })));
    // The guest names PFs in probe order and VFs after their PF (the spec's device_names):
    // demo.yaml's PF with two VFs, then its PF without.
    expect(devices.map((d) => d.name).sort()).toEqual([pfDeviceName(0), vfDeviceName(0, 0), vfDeviceName(0, 1), pfDeviceName(1)].map(dnsLabelName).sort());
    for (const d of devices) {
      expect(d.node).toBe(nodeName());
      const uuid = d.attributes?.[UUID_ATTRIBUTE]?.string;
      const served = cluster.devices.devices.find((s) => s.uuid === uuid);
      expect(served, `slice device ${d.name} (uuid ${uuid}) is one the host serves`).toBeDefined();
      const numaNode = cluster.topology.vms[0]!.numaNodes.find((n) => n.pfs.some((p) => p.pf === served!.device || p.vfs.includes(served!.device)))!.node;
      expect(d.attributes?.[NUMA_ATTRIBUTE]?.int).toBe(numaNode);
      deviceIdBySliceName.set(d.name, served!.device.id);
    }
  }, TEST_TIMEOUT);

  /** Apply an example, wait until its Pod runs, and return the devices its claim got (topology ids) and its log. */
  async function runExample(name: string): Promise<{ ids: string[]; log: ReturnType<typeof parseExampleLog> }> {
    const example = examplePods().find((e) => e.name === name)!;
    await ok(["apply", "-f", join(EXAMPLE_PODS_DIR, `${name}.yaml`)]);
    const waited = await kubectl(["wait", "-n", example.namespace, "--for=condition=Ready", `pod/${name}`, "--timeout=300s"]);
    if (waited.code !== 0) throw new Error(`pod ${name} not Ready in 300 s (${waited.stderr.trim()}):\n${await diagnosis(example.namespace, name)}`);
    const log = await eventually(`${name}'s whole report`, async () => {
      const r = await kubectl(["logs", "-n", example.namespace, name]);
      const parsed = r.code === 0 ? parseExampleLog(r.stdout) : undefined;
      return parsed?.complete ? parsed : undefined;
    }, 60_000, 1000);
    const claims = (JSON.parse(await ok(["get", "resourceclaims", "-n", example.namespace, "-o", "json"])) as { items: Claim[] }).items;
    const results = claims.flatMap((c) => c.status?.allocation?.devices?.results ?? []);
    return { ids: results.map((r) => deviceIdBySliceName.get(r.device)!).sort(), log };
  }

  /** What a failure report needs: the Pod's conditions and events, its claim, the driver's last lines. */
  async function diagnosis(namespace: string, pod: string): Promise<string> {
    const tail = (text: string, n: number) => text.trim().split("\n").slice(-n).join("\n");
    const parts = await Promise.all([
      kubectl(["describe", "pod", "-n", namespace, pod]),
      kubectl(["get", "resourceclaims", "-n", namespace, "-o", "wide"]),
      kubectl(["logs", "-n", DRIVER_NAMESPACE, `daemonset/${DRIVER_RELEASE}`, "--tail=20"]),
    ]);
    return parts.map((r) => tail(r.stdout || r.stderr, 25)).join("\n---\n");
  }

  async function deleteExample(name: string): Promise<void> {
    const example = examplePods().find((e) => e.name === name)!;
    await ok(["delete", "-f", join(EXAMPLE_PODS_DIR, `${name}.yaml`), "--wait=true", "--timeout=180s"]);
    await eventually(`${example.namespace} gone`, async () => ((await kubectl(["get", "namespace", example.namespace])).code !== 0 ? true : undefined), 180_000, 1000);
  }

  const alone = examplePods().map((e) => e.name).filter((n) => !FIT_TOGETHER.includes(n));
  /**
   * Run `body` with the examples' Pods applied; when it fails, delete them anyway (the failure
   * stays the one reported) so their claims do not hold devices the next test needs.
   */
  async function withExamples<T>(names: readonly string[], body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (err) {
      await Promise.allSettled(names.map((n) => kubectl(["delete", "-f", join(EXAMPLE_PODS_DIR, `${n}.yaml`), "--ignore-not-found", "--wait=true", "--timeout=180s"])));
      throw err;
    }
  }

  it.each(alone)("example %s runs, its log names the device nodes its claim got, and STATUS is set on exactly those devices, then cleared", async (name) => {
    await withExamples([name], async () => {
      const { ids, log } = await runExample(name);
      expect(ids.length).toBeGreaterThan(0);
      expect(log.devices.length).toBe(ids.length);
      expect(log.env.MOCK_ACCEL_DEVICE).toBeDefined();
      await eventually("STATUS set on the claim's devices", async () => (JSON.stringify(allocatedOn()) === JSON.stringify(ids) ? true : undefined), 30_000, 500);
      await deleteExample(name);
    });
    await eventually("STATUS cleared", async () => (allocatedOn().length === 0 ? true : undefined), 60_000, 500);
  }, TEST_TIMEOUT);

  it(`the examples that fit together (${FIT_TOGETHER.join(", ")}) run at once, each device given once`, async () => {
    await withExamples(FIT_TOGETHER, async () => {
      const runs = await Promise.all(FIT_TOGETHER.map((n) => runExample(n)));
      const all = runs.flatMap((r) => r.ids);
      expect(new Set(all).size).toBe(all.length);
      await eventually("STATUS set on every device in use", async () => (JSON.stringify(allocatedOn()) === JSON.stringify([...all].sort()) ? true : undefined), 30_000, 500);
      for (const n of FIT_TOGETHER) await deleteExample(n);
    });
    await eventually("STATUS cleared", async () => (allocatedOn().length === 0 ? true : undefined), 60_000, 500);
  }, TEST_TIMEOUT);

  /** The driver's CDI specs in the node's CDI folder, listed by a Pod that mounts it. */
  async function cdiSpecsOnNode(): Promise<string[]> {
    const name = `list-cdi-${Date.now()}`;
    await ok(["apply", "-f", "-"], JSON.stringify({
      apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "default" },
      spec: {
        restartPolicy: "Never", nodeName: nodeName(),
        containers: [{ name: "ls", image: IMAGE_REFS.workload, imagePullPolicy: "Never", command: ["ls", "-1", CDI_DIR], volumeMounts: [{ name: "cdi", mountPath: CDI_DIR, readOnly: true }] }],
        volumes: [{ name: "cdi", hostPath: { path: CDI_DIR, type: "DirectoryOrCreate" } }],
      },
    }));
    await ok(["wait", "-n", "default", "--for=jsonpath={.status.phase}=Succeeded", `pod/${name}`, "--timeout=180s"]);
    const listing = await ok(["logs", "-n", "default", name]);
    await ok(["delete", "pod", "-n", "default", name, "--wait=false"]);
    return listing.split("\n").filter((f) => f.startsWith(`${DEFAULT_DRIVER_NAME}-${CDI_CLASS}_`));
  }

  it("a restart of the driver's Pod while a claim is prepared loses nothing: the claim is still unprepared when its Pod goes, and its CDI spec removed", async () => {
    await withExamples(["one-pf"], () => restartWhilePrepared());
  }, TEST_TIMEOUT);

  async function restartWhilePrepared(): Promise<void> {
    const { ids } = await runExample("one-pf");
    await eventually("STATUS set", async () => (JSON.stringify(allocatedOn()) === JSON.stringify(ids) ? true : undefined), 30_000, 500);
    expect(await cdiSpecsOnNode()).toHaveLength(1);
    const before = (await ok(["get", "pods", "-n", DRIVER_NAMESPACE, "-o", "jsonpath={.items[*].metadata.name}"])).trim();
    await ok(["delete", "pod", "-n", DRIVER_NAMESPACE, before, "--wait=true"]);
    await eventually("the DaemonSet's new driver Pod is Ready", async () => {
      const r = await kubectl(["get", "pods", "-n", DRIVER_NAMESPACE, "-o", "json"]);
      const pods = (JSON.parse(r.stdout) as { items: { metadata: { name: string }; status: { conditions?: { type: string; status: string }[] } }[] }).items;
      return pods.some((p) => p.metadata.name !== before && p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True")) ? true : undefined;
    }, 180_000, 1000);
    expect(allocatedOn()).toEqual(ids);
    await deleteExample("one-pf");
    await eventually("STATUS cleared by the new driver Pod", async () => (allocatedOn().length === 0 ? true : undefined), 60_000, 500);
    expect(await cdiSpecsOnNode()).toEqual([]);
  }
});
