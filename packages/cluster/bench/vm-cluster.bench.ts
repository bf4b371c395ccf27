// `cluster up` as a user meets it: the node image built cold (a cache of its own) and warm,
// the cluster up to node Ready and to the driver's devices published, a Pod from apply to
// Running with a device, ten such Pods at once on the old project's two-VM cluster, and the
// memory of the device server and of each QEMU.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildNodeImages, nodeImage } from "@mock-accel/node-image";
import { cpuTicks } from "@mock-accel/testkit";
import { REPO_ROOT } from "@mock-accel/vm-harness";
import type { BenchRow } from "../../../bench/run.ts";
import { findKubernetes } from "../src/binaries.ts";
import { startVmCluster, type VmCluster } from "../src/vm-cluster.ts";
import { kubectlFor } from "../src/vm-nodes.ts";

const SUITE = "cluster in VMs";

const rssMiB = (pid: number | undefined): number => {
  if (pid === undefined) return NaN;
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
};

async function up(topology: string, images: string[]): Promise<{ cluster: VmCluster; readyMs: number; nodeReadyMs: number; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "mock-accel-bench-cluster-"));
  const t0 = performance.now();
  let nodeReadyMs = NaN;
  const cluster = await startVmCluster({
    topologyFile: join(REPO_ROOT, "examples", topology), runDir: join(dir, "run"), images,
    onProgress: (line) => { if (/^node .* Ready/.test(line)) nodeReadyMs = performance.now() - t0; },
  });
  return { cluster, readyMs: performance.now() - t0, nodeReadyMs, dir };
}

/** Share of one host core a process uses over `seconds`, in percent. */
async function cpuPercent(pid: number, seconds: number): Promise<number> {
  const before = cpuTicks(pid);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  return (cpuTicks(pid) - before) / seconds; // ticks are hundredths of a second
}

/**
 * `count` Pods, each with a claim for one device of `deviceClass` from a template, applied at
 * once; ms until all run. The namespace is deleted after; `awaitDeletion` waits for it, so the
 * devices are free for the next call (not needed before the cluster stops).
 */
async function podsRunning(cluster: VmCluster, namespace: string, classes: string[], awaitDeletion = true): Promise<number> {
  const { ok } = kubectlFor(cluster.controlPlane.binaries, cluster.kubeconfig);
  const objects: unknown[] = [{ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } }];
  for (const cls of new Set(classes)) {
    objects.push({ apiVersion: "resource.k8s.io/v1", kind: "ResourceClaimTemplate", metadata: { name: cls, namespace },
      spec: { spec: { devices: { requests: [{ name: "accel", exactly: { deviceClassName: cls, allocationMode: "ExactCount", count: 1 } }] } } } });
  }
  const { IMAGE_REFS } = await import("@mock-accel/node-image");
  classes.forEach((cls, i) => objects.push({ apiVersion: "v1", kind: "Pod", metadata: { name: `pod-${i}`, namespace },
    spec: { resourceClaims: [{ name: "accel", resourceClaimTemplateName: cls }], terminationGracePeriodSeconds: 1,
      containers: [{ name: "main", image: IMAGE_REFS.workload, imagePullPolicy: "Never", command: ["sleep", "3600"], resources: { claims: [{ name: "accel" }] } }] } }));
  const t0 = performance.now();
  await ok(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }));
  // Polled rather than `kubectl wait --all`, which gave up at once (exit 1, no message) in one run.
  for (;;) {
    const pods = JSON.parse(await ok(["get", "pods", "-n", namespace, "-o", "json"])) as { items: { status: { conditions?: { type: string; status: string }[] } }[] };
    const ready = pods.items.filter((p) => p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True")).length;
    if (ready === classes.length) break;
    if (performance.now() - t0 > 600_000) throw new Error(`${namespace}: ${ready} of ${classes.length} Pods Ready after 600 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const ms = performance.now() - t0;
  await ok(["delete", "namespace", namespace, `--wait=${awaitDeletion}`, "--timeout=300s"]);
  return ms;
}

export default async function bench(): Promise<BenchRow[]> {
  const found = findKubernetes();
  if (!found.ok) return [{ suite: SUITE, metric: "skipped", value: 0, unit: "", note: found.reason }];
  const rows: BenchRow[] = [];
  const row = (metric: string, value: number, unit: string, aim?: string, note?: string) => rows.push({ suite: SUITE, metric, value, unit, aim, note });

  // Cold: the images and the node disk into a cache of their own (the kernel, module and
  // Debian packages fetched and built again too); the kubelet comes from the usual place.
  const kubelet = found.binaries.kubelet;
  const coldCache = mkdtempSync(join(tmpdir(), "mock-accel-bench-cache-"));
  const saved = process.env.MOCK_ACCEL_CACHE;
  let t0 = performance.now();
  try {
    process.env.MOCK_ACCEL_CACHE = coldCache;
    const cold = await buildNodeImages();
    await nodeImage({ kubelet, images: Object.values(cold).map((i) => i.archive) });
    row("node image + container images, cold", (performance.now() - t0) / 1000, "s", undefined, "Debian packages, guest kernel, module, images and root disk into an empty cache");
  } finally {
    if (saved === undefined) delete process.env.MOCK_ACCEL_CACHE;
    else process.env.MOCK_ACCEL_CACHE = saved;
    rmSync(coldCache, { recursive: true, force: true });
  }
  t0 = performance.now();
  const images = Object.values(await buildNodeImages()).map((i) => i.archive);
  await nodeImage({ kubelet, images });
  row("node image + container images, warm", (performance.now() - t0) / 1000, "s");

  const one = await up("demo.yaml", images);
  try {
    row("cluster up demo.yaml: node Ready", one.nodeReadyMs / 1000, "s", undefined, "from the call: control plane, devices, QEMU TCG boot, kubelet TLS bootstrap");
    row("cluster up demo.yaml: driver's devices published", one.readyMs / 1000, "s", undefined, "Helm install, driver Pod start under TCG");
    const pod = [];
    for (let i = 0; i < 3; i++) pod.push(await podsRunning(one.cluster, `bench-one-${i}`, ["mock-accel-pf"]));
    pod.sort((a, b) => a - b);
    row("Pod apply to Running with a device (median of 3)", pod[1]! / 1000, "s");
    row("RSS, cluster up process (device server)", rssMiB(process.pid), "MiB", undefined, "this process: 4 devices' server plus the bench itself");
    row("RSS, QEMU of the node (1 GiB guest)", rssMiB(one.cluster.nodes[0]?.process.pid), "MiB");
    const qemu = one.cluster.nodes[0]?.process.pid;
    if (qemu !== undefined) row("CPU of the node's QEMU, idle (driver running, no Pods)", await cpuPercent(qemu, 30), "% of a core", undefined, "over 30 s; the guest's kubelet, containerd and the DRA driver's device watch (every 500 ms) under TCG");
  } finally {
    await one.cluster.stop();
    rmSync(one.dir, { recursive: true, force: true });
  }

  const two = await up("cluster.yaml", images);
  try {
    row("cluster up cluster.yaml (2 VMs, 12 devices): ready", two.readyMs / 1000, "s");
    const classes = [...Array(8).fill("mock-accel-vf"), "mock-accel-pf", "mock-accel-pf"];
    row("10 Pods with a device each, apply to all Running", (await podsRunning(two.cluster, "bench-ten", classes, false)) / 1000, "s", "< 30 s (old project's guide)", "2 VMs under TCG on 2 cores; 100 Pods not measured: the topology has 12 devices");
    two.cluster.nodes.forEach((n, i) => row(`RSS, QEMU of node ${i + 1} (2 GiB guest)`, rssMiB(n.process.pid), "MiB"));
  } finally {
    await two.cluster.stop();
    rmSync(two.dir, { recursive: true, force: true });
  }
  return rows;
}
