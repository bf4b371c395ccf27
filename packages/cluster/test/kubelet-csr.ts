// A node client certificate requested the way the kubelet's TLS bootstrap does it (shared by
// the node-bootstrap test and bench): an EC P-256 key, CN system:node:<name>, O system:nodes,
// the kubelet client signer, usages digital signature + client auth (key encipherment only for
// RSA keys). Nothing approves it here: the cluster's csrapproving controller must.
import { eventually } from "@mock-accel/testkit";
import { run, runOk } from "@mock-accel/vm-harness";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const KUBELET_CLIENT_SIGNER = "kubernetes.io/kube-apiserver-client-kubelet";

export interface Csr {
  status?: { certificate?: string; conditions?: { type: string; reason?: string }[] };
}

/** Key and certificate files in `dir`, and the signed CSR object. `kubeconfig`: the requester's. */
export async function requestNodeCertificate(kubectl: string, kubeconfig: string, dir: string, node: string, timeoutMs = 60_000): Promise<{ key: string; cert: string; csr: Csr }> {
  const k = (args: string[], input = "") => run(kubectl, [`--kubeconfig=${kubeconfig}`, ...args], { input, timeoutMs: 60_000 });
  const key = join(dir, `${node}.key`);
  const csrPem = join(dir, `${node}.csr`);
  await runOk("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key]);
  await runOk("openssl", ["req", "-new", "-key", key, "-subj", `/O=system:nodes/CN=system:node:${node}`, "-out", csrPem]);
  const name = `node-csr-${node}-${Date.now()}`;
  const created = await k(["create", "-f", "-"], JSON.stringify({
    apiVersion: "certificates.k8s.io/v1", kind: "CertificateSigningRequest", metadata: { name },
    spec: { request: readFileSync(csrPem).toString("base64"), signerName: KUBELET_CLIENT_SIGNER, usages: ["digital signature", "client auth"] },
  }));
  if (created.code !== 0) throw new Error(`creating CSR ${name}: ${created.stderr.trim()}`);
  const csr = await eventually(`CSR ${name} signed`, async () => {
    const r = JSON.parse((await k(["get", "csr", name, "-o", "json"])).stdout) as Csr;
    return r.status?.certificate ? r : undefined;
  }, timeoutMs, 100);
  const cert = join(dir, `${node}.crt`);
  writeFileSync(cert, Buffer.from(csr.status!.certificate!, "base64"));
  return { key, cert, csr };
}
