// A node joining the real control plane the way the kubelet does after `kubeadm join`: only the
// bootstrap kubeconfig in hand, it asks for a node client certificate, the controller manager
// approves and signs it, and with it the node may register itself and nobody else.
import { assertAvailable, eventually, requirement } from "@mock-accel/testkit";
import { run, runOk } from "@mock-accel/vm-harness";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  API_SERVER_KUBELET_CLIENT, BOOTSTRAP_GROUP, bootstrapKubeconfig, checkNodeJoin, createNodeJoin, findKubernetes, installCommand, revokeNodeJoin,
  startControlPlane, TOKEN_NAMESPACE, type ControlPlane, type NodeJoinCredentials,
} from "../src/index.ts";
import { kubeconfigText } from "../src/kubeconfig.ts";
import { requestNodeCertificate } from "./kubelet-csr.ts";

const kube = requirement("Kubernetes components built from source", findKubernetes().ok, installCommand());

describe.skipIf(kube.skip)("joining a node with a bootstrap token (TLS bootstrap)", () => {
  let cp: ControlPlane;
  let dir: string;
  let creds: NodeJoinCredentials;
  let caPem: string;
  const kubectlWith = (kubeconfig: string, args: string[], input?: string) => run(cp.binaries.kubectl, [`--kubeconfig=${kubeconfig}`, ...args], { input: input ?? "", timeoutMs: 60_000 });
  const join_ = (extra: { ttlSeconds?: number; kubeconfig?: string } = {}) => createNodeJoin({ kubeconfig: cp.kubeconfig, kubectl: cp.binaries.kubectl, ...extra });
  /** Status of a request made with the token alone (no kubeconfig, no client certificate). */
  const withToken = async (token: string) =>
    (await fetch(`${cp.server}/apis/certificates.k8s.io/v1/certificatesigningrequests`, { headers: { authorization: `Bearer ${token}` }, tls: { ca: caPem } } as RequestInit)).status;

  beforeAll(async () => {
    assertAvailable(kube);
    dir = mkdtempSync(join(tmpdir(), "mock-accel-node-bootstrap-"));
    cp = await startControlPlane();
    caPem = readFileSync(cp.pki.ca.cert, "utf8");
    // A user's own binding of kubeadm's name: ours must leave it alone.
    await cp.kubectlOk(["create", "clusterrolebinding", "kubeadm:kubelet-bootstrap", "--clusterrole=system:node-bootstrapper", "--group=system:bootstrappers:kubeadm:default-node-token"]);
    creds = await join_({ ttlSeconds: 3600 });
  }, 180_000);
  afterAll(async () => {
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("creates a kubeadm-shaped bootstrap token Secret and names the cluster the kubeconfig names", async () => {
    expect(creds.server).toBe(cp.server);
    expect(creds.caPem).toBe(caPem);
    expect(creds.token).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    const [id, secret] = creds.token.split(".") as [string, string];
    const s = JSON.parse(await cp.kubectlOk(["get", "secret", "-n", TOKEN_NAMESPACE, `bootstrap-token-${id}`, "-o", "json"])) as { type: string; data: Record<string, string> };
    const data = Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));
    expect(s.type).toBe("bootstrap.kubernetes.io/token");
    expect(data).toMatchObject({ "token-id": id, "token-secret": secret, "usage-bootstrap-authentication": "true", "auth-extra-groups": BOOTSTRAP_GROUP });
    expect(new Date(data.expiration!).getTime()).toBe(creds.expires.getTime());
    expect(creds.expires.getTime() - Date.now()).toBeGreaterThan(3500_000);
    expect(creds.expires.getTime() - Date.now()).toBeLessThanOrEqual(3600_000);
  });

  it("caCertHash is kubeadm's: sha256 of the CA's SubjectPublicKeyInfo", async () => {
    const r = await run("sh", ["-c", 'openssl x509 -pubkey -noout -in "$1" | openssl pkey -pubin -outform der | sha256sum', "sh", cp.pki.ca.cert]);
    expect(r.code).toBe(0);
    expect(creds.caCertHash).toBe(`sha256:${r.stdout.split(" ")[0]}`);
  });

  it("with only the bootstrap kubeconfig, a node gets an auto-approved client certificate, registers itself, and may not touch another node", async () => {
    const bootstrap = join(dir, "bootstrap.kubeconfig");
    writeFileSync(bootstrap, bootstrapKubeconfig(creds));
    const who = JSON.parse((await kubectlWith(bootstrap, ["auth", "whoami", "-o", "json"])).stdout) as { status: { userInfo: { username: string; groups: string[] } } };
    expect(who.status.userInfo.username).toBe(`system:bootstrap:${creds.token.split(".")[0]}`);
    expect(who.status.userInfo.groups).toContain(BOOTSTRAP_GROUP);
    // The token alone is no node.
    const asBootstrapper = await kubectlWith(bootstrap, ["create", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "Node", metadata: { name: "node-a" } }));
    expect(asBootstrapper.stderr).toContain("forbidden");

    const { key, cert, csr } = await requestNodeCertificate(cp.binaries.kubectl, bootstrap, dir, "node-a");
    // Approved by the controller manager's csrapproving controller; this test approves nothing.
    expect(csr.status!.conditions).toContainEqual(expect.objectContaining({ type: "Approved", reason: "AutoApproved" }));
    const subject = await runOk("openssl", ["x509", "-in", cert, "-noout", "-subject", "-issuer"]);
    expect(subject).toMatch(/subject=O ?= ?system:nodes, ?CN ?= ?system:node:node-a/);
    expect(subject).toContain("mock-accel-ca");

    const nodeConfig = join(dir, "node-a.kubeconfig");
    writeFileSync(nodeConfig, kubeconfigText(cp.server, cp.pki.ca.cert, "system:node:node-a", { cert, key }));
    const created = await kubectlWith(nodeConfig, ["create", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "Node", metadata: { name: "node-a", labels: { "kubernetes.io/hostname": "node-a" } } }));
    expect(created.stderr).toBe("");
    const own = await kubectlWith(nodeConfig, ["get", "node", "node-a", "-o", "jsonpath={.metadata.name}"]);
    expect(own.stdout).toBe("node-a");

    await cp.kubectlOk(["create", "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "Node", metadata: { name: "node-b" } }) });
    const other = await kubectlWith(nodeConfig, ["label", "node", "node-b", "stolen=yes"]);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/forbidden|not allowed/);
    const impostor = await kubectlWith(nodeConfig, ["create", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "Node", metadata: { name: "node-c" } }));
    expect(impostor.code).not.toBe(0);
    expect(JSON.parse(await cp.kubectlOk(["get", "node", "node-b", "-o", "json"])).metadata.labels?.stolen).toBeUndefined();

    // Renewal: the node, with its own certificate, gets a new one approved the same way.
    const renewed = await requestNodeCertificate(cp.binaries.kubectl, nodeConfig, dir, "node-a");
    expect(renewed.csr.status!.conditions).toContainEqual(expect.objectContaining({ type: "Approved", reason: "AutoApproved" }));
  }, 120_000);

  it("is idempotent and leaves the user's own RBAC objects alone", async () => {
    const before = await cp.kubectlOk(["get", "clusterrolebinding", "kubeadm:kubelet-bootstrap", "-o", "jsonpath={.metadata.resourceVersion}"]);
    const again = await join_();
    expect(again.token).not.toBe(creds.token);
    expect(await cp.kubectlOk(["get", "clusterrolebinding", "kubeadm:kubelet-bootstrap", "-o", "jsonpath={.metadata.resourceVersion}"])).toBe(before);
    const ours = (await cp.kubectlOk(["get", "clusterrolebindings", "-l", "app.kubernetes.io/managed-by=mock-accel", "-o", "jsonpath={.items[*].roleRef.name}"])).split(" ").sort();
    expect(ours).toEqual([
      "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
      "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
      "system:node-bootstrapper",
    ]);
    await revokeNodeJoin({ kubeconfig: cp.kubeconfig, kubectl: cp.binaries.kubectl, token: again.token });
  });

  it("refuses a revoked, an expired, a wrong and a garbage token", async () => {
    const revoked = await join_();
    expect(await withToken(revoked.token)).toBe(200);
    await revokeNodeJoin({ kubeconfig: cp.kubeconfig, kubectl: cp.binaries.kubectl, token: revoked.token });
    // The API server caches a token's success for a few seconds.
    await eventually("the revoked token refused", async () => ((await withToken(revoked.token)) === 401 ? true : undefined), 30_000);
    await revokeNodeJoin({ kubeconfig: cp.kubeconfig, kubectl: cp.binaries.kubectl, token: revoked.token }); // already gone: fine

    await expect(checkNodeJoin(revoked, { waitMs: 500 })).rejects.toThrow(/refused the bootstrap token \(401\)/);

    // createNodeJoin's own check used it, so the cache may keep it alive a little past expiry.
    const expired = await join_({ ttlSeconds: 3 });
    await Bun.sleep(Math.max(0, expired.expires.getTime() - Date.now()));
    await eventually("the expired token refused", async () => ((await withToken(expired.token)) === 401 ? true : undefined), 30_000);

    expect(await withToken(`${creds.token.split(".")[0]}.${"0".repeat(16)}`)).toBe(401);
    expect(await withToken("abcdef.0123456789abcdef")).toBe(401);
    expect(await withToken(creds.token)).toBe(200);
    await expect(revokeNodeJoin({ kubeconfig: cp.kubeconfig, kubectl: cp.binaries.kubectl, token: "not-a-token" })).rejects.toThrow(/token: not a bootstrap token/);
  }, 60_000);

  it("checkNodeJoin names the role a token's holder lacks", async () => {
    // Tokens made by hand: one in no group of ours, one in kubeadm's group, which the user's
    // binding from beforeAll lets create CSRs but not have them auto-approved.
    const tokenOf = async (id: string, groups?: string) => {
      const secret = "0123456789abcdef";
      await cp.kubectlOk(["create", "-f", "-"], { input: JSON.stringify({
        apiVersion: "v1", kind: "Secret", type: "bootstrap.kubernetes.io/token", metadata: { name: `bootstrap-token-${id}`, namespace: TOKEN_NAMESPACE },
        stringData: { "token-id": id, "token-secret": secret, "usage-bootstrap-authentication": "true", ...(groups ? { "auth-extra-groups": groups } : {}) },
      }) });
      return { ...creds, token: `${id}.${secret}` };
    };
    await expect(checkNodeJoin(await tokenOf("nogrp1"))).rejects.toThrow(/may not create certificatesigningrequests; its group needs the ClusterRole system:node-bootstrapper/);
    await expect(checkNodeJoin(await tokenOf("kubadm", "system:bootstrappers:kubeadm:default-node-token")))
      .rejects.toThrow(/may not create certificatesigningrequests\/nodeclient; its group needs the ClusterRole system:certificates.k8s.io:certificatesigningrequests:nodeclient/);
    await checkNodeJoin(creds);
  });

  it("names the permissions a kubeconfig's user lacks", async () => {
    const nobody = await cp.kubeconfigFor("nobody", "nobody", []);
    await expect(join_({ kubeconfig: nobody })).rejects.toThrow(
      /user "nobody" may not create secrets in namespace kube-system, create clusterrolebindings\.rbac\.authorization\.k8s\.io, patch clusterrolebindings/);
    const partial = await cp.kubeconfigFor("secret-writer", "secret-writer", []);
    await cp.kubectlOk(["create", "role", "secret-writer", "-n", TOKEN_NAMESPACE, "--verb=create", "--resource=secrets"]);
    await cp.kubectlOk(["create", "rolebinding", "secret-writer", "-n", TOKEN_NAMESPACE, "--role=secret-writer", "--user=secret-writer"]);
    const tokens = () => cp.kubectlOk(["get", "secrets", "-n", TOKEN_NAMESPACE, "--field-selector=type=bootstrap.kubernetes.io/token", "-o", "name"]);
    const before = await tokens();
    const err = await join_({ kubeconfig: partial }).then(() => null, (e: Error) => e.message);
    expect(err).toContain("may not create clusterrolebindings");
    expect(err).not.toContain("secrets");
    // Refused before creating anything.
    expect(await tokens()).toBe(before);

    const noCa = join(dir, "no-ca.kubeconfig");
    writeFileSync(noCa, readFileSync(cp.kubeconfig, "utf8").replace(/certificate-authority-data: .*/, "insecure-skip-tls-verify: true"));
    await expect(join_({ kubeconfig: noCa })).rejects.toThrow(`${noCa}: cluster "mock-accel" has no certificate-authority(-data)`);
    expect(await tokens()).toBe(before);
  });

  it("the bootstrap kubeconfig can name the address the guest reaches", () => {
    const text = bootstrapKubeconfig(creds, { server: "https://10.0.2.2:6443" });
    expect(text).toContain('server: "https://10.0.2.2:6443"');
    expect(text).toContain(`certificate-authority-data: ${Buffer.from(caPem).toString("base64")}`);
    expect(() => bootstrapKubeconfig(creds, { server: "10.0.2.2:6443" })).toThrow(/server: expected an https:\/\/ URL/);
  });

  it("the API server's kubelet-client identity passes the kubelet's Webhook authorization (system:kubelet-api-admin)", async () => {
    // The kubelet asks about nodes/proxy for /containerLogs, /exec, /portForward (get for GET,
    // create for POST), nodes/log for /logs, nodes/stats for /stats.
    for (const [verb, subresource] of [["get", "proxy"], ["create", "proxy"], ["get", "log"], ["get", "stats"]] as const) {
      const r = await cp.request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
        apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview",
        spec: { user: API_SERVER_KUBELET_CLIENT.commonName, groups: API_SERVER_KUBELET_CLIENT.groups, resourceAttributes: { verb, resource: "nodes", subresource, name: "any-node" } },
      });
      expect(r.status).toBe(201);
      expect((r.json as { status: { allowed: boolean } }).status.allowed, `${verb} nodes/${subresource}`).toBe(true);
    }
  });
});
