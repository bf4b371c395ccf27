// Joining a node, the host's part and the cluster's: how long createNodeJoin takes (token,
// RBAC, its own check) and how long a kubelet-style CSR takes from creation to a signed
// certificate by the controller manager's approver and signer.
import type { BenchRow } from "../../../bench/run.ts";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bootstrapKubeconfig, createNodeJoin, findKubernetes, installCommand, revokeNodeJoin, startControlPlane } from "../src/index.ts";
import { requestNodeCertificate } from "../test/kubelet-csr.ts";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ROUNDS = 5;

export default async function bench(): Promise<BenchRow[]> {
  const suite = "node join";
  const found = findKubernetes();
  if (!found.ok) throw new Error(`${found.reason} (${installCommand()})`);
  const dir = mkdtempSync(join(tmpdir(), "mock-accel-node-join-bench-"));
  const cp = await startControlPlane();
  try {
    const opts = { kubeconfig: cp.kubeconfig, kubectl: cp.binaries.kubectl };
    const create: number[] = [];
    const signed: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      let t0 = performance.now();
      const creds = await createNodeJoin(opts);
      create.push(performance.now() - t0);
      const bootstrap = join(dir, `bootstrap-${i}.kubeconfig`);
      writeFileSync(bootstrap, bootstrapKubeconfig(creds));
      t0 = performance.now();
      await requestNodeCertificate(cp.binaries.kubectl, bootstrap, dir, `bench-node-${i}`);
      signed.push(performance.now() - t0);
      await revokeNodeJoin({ ...opts, token: creds.token });
    }
    const note = `median of ${ROUNDS}, project control plane on loopback`;
    return [
      { suite, metric: "createNodeJoin (can-i checks, RBAC apply, token Secret, token check)", value: median(create), unit: "ms", note },
      { suite, metric: "kubelet-style CSR to signed certificate (auto-approved)", value: median(signed), unit: "ms", note: `${note}; includes openssl key + CSR and kubectl polling every 100 ms` },
    ];
  } finally {
    await cp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
