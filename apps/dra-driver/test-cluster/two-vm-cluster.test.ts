// On demand (`bun run test:cluster`; about 5 minutes, two TCG guests at once): the old
// project's cluster, examples/cluster.yaml (two VMs, six devices each), through cluster up:
// both nodes Ready, each publishing its own six devices, and a Pod pinned to each node getting
// a device of that node. Not in every CI run: tests/vm-cluster.test.ts covers the same path with
// one VM.
import { findKubernetes, installCommand, kubectlFor, startVmCluster, VM_LABEL, type VmCluster } from "@mock-accel/cluster";
import { buildNodeImages, IMAGE_REFS } from "@mock-accel/node-image";
import { assertAvailable, requirement } from "@mock-accel/testkit";
import { REPO_ROOT } from "@mock-accel/vm-harness";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deviceClassName } from "../src/manifests.ts";

const kube = requirement("Kubernetes components built from source", findKubernetes().ok, installCommand());

describe.skipIf(kube.skip)("cluster up examples/cluster.yaml", () => {
  let dir: string;
  let cluster: VmCluster;
  beforeAll(async () => {
    assertAvailable(kube);
    dir = mkdtempSync(join(tmpdir(), "mock-accel-two-vm-cluster-"));
    const images = await buildNodeImages();
    cluster = await startVmCluster({ topologyFile: join(REPO_ROOT, "examples", "cluster.yaml"), runDir: join(dir, "run"), images: Object.values(images).map((i) => i.archive), onProgress: (l) => console.log(`[cluster up] ${l}`) });
  }, 1_200_000);
  afterAll(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it("two Ready nodes publish six devices each, and a Pod pinned to each node gets one of that node's", async () => {
    const { ok } = kubectlFor(cluster.controlPlane.binaries, cluster.kubeconfig);
    const nodes = (JSON.parse(await ok(["get", "nodes", "-o", "json"])) as { items: { metadata: { name: string }; status: { conditions: { type: string; status: string }[] } }[] }).items;
    expect(nodes.map((n) => n.metadata.name).sort()).toEqual(["node1", "node2"]);
    for (const n of nodes) expect(n.status.conditions.find((c) => c.type === "Ready")?.status).toBe("True");
    const slices = (JSON.parse(await ok(["get", "resourceslices", "-o", "json"])) as { items: { spec: { nodeName: string; devices: unknown[] } }[] }).items;
    for (const name of ["node1", "node2"]) expect(slices.filter((s) => s.spec.nodeName === name).reduce((n, s) => n + s.spec.devices.length, 0)).toBe(6);

    const namespace = "two-vm-cluster";
    const objects: unknown[] = [
      { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } },
      { apiVersion: "resource.k8s.io/v1", kind: "ResourceClaimTemplate", metadata: { name: "one-vf", namespace },
        spec: { spec: { devices: { requests: [{ name: "accel", exactly: { deviceClassName: deviceClassName("vf"), allocationMode: "ExactCount", count: 1 } }] } } } },
      ...["node1", "node2"].map((node) => ({ apiVersion: "v1", kind: "Pod", metadata: { name: `on-${node}`, namespace },
        spec: { nodeSelector: { [VM_LABEL]: node }, resourceClaims: [{ name: "accel", resourceClaimTemplateName: "one-vf" }], terminationGracePeriodSeconds: 1,
          containers: [{ name: "main", image: IMAGE_REFS.workload, imagePullPolicy: "Never", command: ["sleep", "3600"], resources: { claims: [{ name: "accel" }] } }] } })),
    ];
    await ok(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }));
    await ok(["wait", "-n", namespace, "--for=condition=Ready", "pods", "--all", "--timeout=600s"]);
    const claims = (JSON.parse(await ok(["get", "resourceclaims", "-n", namespace, "-o", "json"])) as { items: { status: { reservedFor: { name: string }[]; allocation: { devices: { results: { pool: string }[] } } } }[] }).items;
    for (const c of claims) expect(`on-${c.status.allocation.devices.results[0]!.pool}`).toBe(c.status.reservedFor[0]!.name);
    expect(claims).toHaveLength(2);
    await ok(["delete", "namespace", namespace, "--wait=true", "--timeout=300s"]);
  }, 900_000);
});
