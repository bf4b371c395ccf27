// `cluster join` against an existing cluster (the project's control plane standing in for it):
// time from the join's start to its node Ready with its devices published, to a Pod with a
// device Running, and how long leaving takes. One VM under TCG, warm node-image cache.
import type { BenchRow } from "../../../bench/run.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildNodeImages, IMAGE_REFS } from "@mock-accel/node-image";
import { HOST_LABEL, hostLabel, joinCluster, startControlPlane } from "../src/index.ts";

const TOPOLOGY = `vms:
  - name: bench
    numa_nodes:
      - node: 0
        cpus: 1
        memory: 1G
        pfs:
          - { uuid: bench-pf0, memory: 16G }
`;

export default async function bench(): Promise<BenchRow[]> {
  const suite = "cluster join";
  const dir = mkdtempSync(join(tmpdir(), "mock-accel-join-bench-"));
  const cp = await startControlPlane({ runDir: join(dir, "existing-cluster") });
  try {
    const topology = join(dir, "bench.yaml");
    await Bun.write(topology, TOPOLOGY);
    const images = Object.values(await buildNodeImages()).map((i) => i.archive);
    const t0 = performance.now();
    const joined = await joinCluster({ topologyFile: topology, kubeconfig: cp.kubeconfig, runDir: join(dir, "run"), images });
    const tJoined = performance.now();
    try {
      const ns = "join-bench";
      await cp.kubectlOk(["apply", "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "List", items: [
        { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
        { apiVersion: "resource.k8s.io/v1", kind: "ResourceClaimTemplate", metadata: { name: "pf", namespace: ns },
          spec: { spec: { devices: { requests: [{ name: "pf", exactly: { deviceClassName: "mock-accel-pf" } }] } } } },
        { apiVersion: "v1", kind: "Pod", metadata: { name: "workload", namespace: ns }, spec: {
          nodeSelector: { [HOST_LABEL]: hostLabel() }, resourceClaims: [{ name: "pf", resourceClaimTemplateName: "pf" }],
          containers: [{ name: "w", image: IMAGE_REFS.workload, imagePullPolicy: "Never", command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"], resources: { claims: [{ name: "pf" }] } }] } },
      ] }) });
      const tApplied = performance.now();
      for (;;) {
        const phase = (await cp.kubectlOk(["get", "pod", "-n", ns, "workload", "-o", "jsonpath={.status.phase}"])).trim();
        if (phase === "Running") break;
        if (performance.now() - tApplied > 600_000) throw new Error(`pod not Running after 600 s (phase ${phase})`);
        await Bun.sleep(500);
      }
      const tRunning = performance.now();
      // The Pod stops on SIGTERM at once, so this is the leave's own time, not a grace period's.
      const tLeave = performance.now();
      await joined.leave();
      const tLeft = performance.now();
      const note = "1 VM (1 vCPU, 1 GiB) under TCG, warm node-image cache, first join (installs the driver), 2-core machine shared with other work";
      return [
        { suite, metric: "join: start to node Ready and its devices in ResourceSlices", value: (tJoined - t0) / 1000, unit: "s", note },
        { suite, metric: "join: start to a Pod with a device Running", value: (tRunning - t0) / 1000, unit: "s", note },
        { suite, metric: "join: Pod apply to Running with a device", value: (tRunning - tApplied) / 1000, unit: "s", note },
        { suite, metric: "leave: drain, delete the node, stop the VM and devices, revoke the token", value: (tLeft - tLeave) / 1000, unit: "s", note },
      ];
    } catch (err) {
      await joined.leave();
      throw err;
    }
  } finally {
    await cp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
