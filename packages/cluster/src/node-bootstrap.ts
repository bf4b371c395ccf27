// How a node joins a cluster, the way `kubeadm join` does it: a bootstrap token (a Secret in
// kube-system the API server's bootstrap-token authenticator reads), kubeadm's three RBAC
// bindings for TLS bootstrap (bootstrappers may create CSRs, their node-client CSRs are
// auto-approved by the controller manager's csrapproving controller, nodes may renew), and the
// bootstrap kubeconfig the kubelet starts with. Works against any cluster given only an admin
// kubeconfig: everything goes through kubectl, so exec plugins and the kubeconfig's own auth
// apply.
import { createHash, randomInt, X509Certificate } from "node:crypto";
import { run } from "@mock-accel/vm-harness";

export interface NodeJoinCredentials {
  /** API server URL as the kubeconfig names it. */
  server: string;
  /** The cluster CA (from the kubeconfig's certificate-authority(-data)). */
  caPem: string;
  /** "sha256:<hex>" of the CA's SubjectPublicKeyInfo, as kubeadm prints it. */
  caCertHash: string;
  /** "<id>.<secret>" bootstrap token. */
  token: string;
  expires: Date;
}

/** Where bootstrap tokens live, and what makes a Secret one (k8s.io/cluster-bootstrap). */
export const TOKEN_NAMESPACE = "kube-system";
const TOKEN_SECRET_TYPE = "bootstrap.kubernetes.io/token";
const TOKEN_SECRET_PREFIX = "bootstrap-token-";
const TOKEN_RE = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const TOKEN_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/** The group our tokens authenticate in (besides system:bootstrappers); our bindings name it, so
 *  they grant nothing to tokens made by others. */
export const BOOTSTRAP_GROUP = "system:bootstrappers:mock-accel:node";
const NODES_GROUP = "system:nodes";
const FIELD_MANAGER = "mock-accel";
const DEFAULT_TTL_SECONDS = 24 * 3600;

const RBAC_GROUP = "rbac.authorization.k8s.io";
const CLUSTER_ROLE_BINDINGS = `clusterrolebindings.${RBAC_GROUP}`;

const BOOTSTRAPPER_ROLE = "system:node-bootstrapper";
const AUTOAPPROVE_ROLE = "system:certificates.k8s.io:certificatesigningrequests:nodeclient";

/** kubeadm's TLS-bootstrap bindings (cmd/kubeadm/app/phases/bootstraptoken/node), under our own
 *  names so a user's objects, kubeadm's included, are never touched. */
function bootstrapBindings(): object[] {
  const binding = (name: string, clusterRole: string, group: string) => ({
    apiVersion: `${RBAC_GROUP}/v1`, kind: "ClusterRoleBinding",
    metadata: { name: `mock-accel:${name}`, labels: { "app.kubernetes.io/managed-by": FIELD_MANAGER } },
    roleRef: { apiGroup: RBAC_GROUP, kind: "ClusterRole", name: clusterRole },
    subjects: [{ apiGroup: RBAC_GROUP, kind: "Group", name: group }],
  });
  return [
    binding("node-bootstrapper", BOOTSTRAPPER_ROLE, BOOTSTRAP_GROUP),
    binding("node-autoapprove-bootstrap", AUTOAPPROVE_ROLE, BOOTSTRAP_GROUP),
    binding("node-autoapprove-certificate-rotation", "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", NODES_GROUP),
  ];
}

/** What a token holder must be allowed, and the role that grants it: creating CSRs, and the
 *  right the csrapproving controller checks (SubjectAccessReview) before approving one. */
const TOKEN_NEEDS: readonly { subresource?: string; role: string }[] = [
  { role: BOOTSTRAPPER_ROLE },
  { subresource: "nodeclient", role: AUTOAPPROVE_ROLE },
];

/** What the kubeconfig's user must be allowed to do for createNodeJoin (server-side apply of a
 *  missing object needs create as well as patch). */
const NEEDED: readonly { verb: string; resource: string; namespace?: string }[] = [
  { verb: "create", resource: "secrets", namespace: TOKEN_NAMESPACE },
  { verb: "create", resource: CLUSTER_ROLE_BINDINGS },
  { verb: "patch", resource: CLUSTER_ROLE_BINDINGS },
];

type Kubectl = (args: string[], input?: string) => Promise<{ code: number; stdout: string; stderr: string }>;

function kubectlFor(kubectl: string, kubeconfig: string): Kubectl {
  return (args, input) => run(kubectl, [`--kubeconfig=${kubeconfig}`, ...args], { input: input ?? "", timeoutMs: 60_000 });
}

async function kubectlOk(k: Kubectl, args: string[], input?: string): Promise<string> {
  const r = await k(args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${r.code}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/** "sha256:<hex>" of the certificate's SubjectPublicKeyInfo (kubeadm's --discovery-token-ca-cert-hash);
 *  of the first certificate when `caPem` is a bundle. */
export function caCertHash(caPem: string): string {
  const spki = new X509Certificate(caPem).publicKey.export({ type: "spki", format: "der" });
  return `sha256:${createHash("sha256").update(spki).digest("hex")}`;
}

function randomString(length: number): string {
  let s = "";
  for (let i = 0; i < length; i++) s += TOKEN_ALPHABET[randomInt(TOKEN_ALPHABET.length)];
  return s;
}

function parseToken(token: string): { id: string; secret: string } {
  const m = TOKEN_RE.exec(token);
  if (!m) throw new Error(`token: not a bootstrap token (expected "<6 of [a-z0-9]>.<16 of [a-z0-9]>")`);
  return { id: m[1]!, secret: m[2]! };
}

/** The server and CA of the kubeconfig's current context. */
async function clusterOf(k: Kubectl, kubeconfig: string): Promise<{ server: string; caPem: string }> {
  // --flatten inlines a certificate-authority file (resolved against the kubeconfig's folder).
  const view = JSON.parse(await kubectlOk(k, ["config", "view", "--raw", "--minify", "--flatten", "-o", "json"])) as {
    clusters?: { name: string; cluster: { server?: string; "certificate-authority-data"?: string } }[];
  };
  const cluster = view.clusters?.[0];
  if (!cluster?.cluster.server) throw new Error(`${kubeconfig}: the current context names no cluster with a server`);
  const data = cluster.cluster["certificate-authority-data"];
  if (!data) {
    throw new Error(`${kubeconfig}: cluster "${cluster.name}" has no certificate-authority(-data); a joining node pins the cluster CA, so the kubeconfig must name it`);
  }
  return { server: cluster.cluster.server, caPem: Buffer.from(data, "base64").toString("utf8") };
}

/** Throws naming every permission from NEEDED the kubeconfig's user lacks. */
async function checkPermissions(k: Kubectl, kubeconfig: string): Promise<void> {
  const answers = await Promise.all(NEEDED.map(async (p) => {
    const r = await k(["auth", "can-i", p.verb, p.resource, ...(p.namespace ? ["-n", p.namespace] : [])]);
    const answer = r.stdout.trim();
    // can-i exits 1 for "no" too; anything but yes/no is a failure to ask.
    if (answer !== "yes" && answer !== "no") throw new Error(`kubectl auth can-i with ${kubeconfig} failed: ${(r.stderr || r.stdout).trim()}`);
    return { ...p, allowed: answer === "yes" };
  }));
  const missing = answers.filter((a) => !a.allowed).map((a) => `${a.verb} ${a.resource}${a.namespace ? ` in namespace ${a.namespace}` : ""}`);
  if (missing.length === 0) return;
  const who = await k(["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"]);
  const user = who.code === 0 && who.stdout.trim() ? `user "${who.stdout.trim()}"` : "user";
  throw new Error(`${kubeconfig}: the ${user} may not ${missing.join(", ")}; joining a node needs that (a bootstrap token Secret and the TLS-bootstrap ClusterRoleBindings). Use a kubeconfig with those rights, or have a cluster admin create a bootstrap token (as \`kubeadm token create\` does) in a group bound to ${BOOTSTRAPPER_ROLE} and ${AUTOAPPROVE_ROLE}.`);
}

/** A bootstrap token for TLS bootstrap, and the RBAC that lets its holder become a node. */
export async function createNodeJoin(opts: { kubeconfig: string; ttlSeconds?: number; description?: string; kubectl: string }): Promise<NodeJoinCredentials> {
  const ttl = opts.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl <= 0) throw new Error(`ttlSeconds: expected a positive whole number of seconds, got ${ttl}`);
  const k = kubectlFor(opts.kubectl, opts.kubeconfig);
  const [{ server, caPem }] = await Promise.all([clusterOf(k, opts.kubeconfig), checkPermissions(k, opts.kubeconfig)]);
  let hash: string;
  try {
    hash = caCertHash(caPem);
  } catch (err) {
    throw new Error(`${opts.kubeconfig}: the cluster's certificate-authority is not a PEM certificate (${(err as Error).message})`);
  }

  const applied = await k(["apply", "--server-side", `--field-manager=${FIELD_MANAGER}`, "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: bootstrapBindings() }));
  if (applied.code !== 0) throw new Error(`${opts.kubeconfig}: could not create the TLS-bootstrap ClusterRoleBindings: ${(applied.stderr || applied.stdout).trim()}`);

  const id = randomString(6);
  const secret = randomString(16);
  // RFC 3339 to the second, as k8s.io/cluster-bootstrap writes it.
  const expires = new Date((Math.floor(Date.now() / 1000) + ttl) * 1000);
  await kubectlOk(k, ["create", "-f", "-"], JSON.stringify({
    apiVersion: "v1", kind: "Secret", type: TOKEN_SECRET_TYPE,
    metadata: { name: `${TOKEN_SECRET_PREFIX}${id}`, namespace: TOKEN_NAMESPACE, labels: { "app.kubernetes.io/managed-by": FIELD_MANAGER } },
    stringData: {
      "token-id": id, "token-secret": secret,
      description: opts.description ?? "mock-accel node join",
      expiration: expires.toISOString().replace(/\.\d{3}Z$/, "Z"),
      // signing too, so the token also works for `kubeadm join --discovery-token` on kubeadm clusters.
      "usage-bootstrap-authentication": "true", "usage-bootstrap-signing": "true",
      "auth-extra-groups": BOOTSTRAP_GROUP,
    },
  }));
  const creds = { server, caPem, caCertHash: hash, token: `${id}.${secret}`, expires };
  try {
    await checkNodeJoin(creds);
  } catch (err) {
    await revokeNodeJoin({ kubeconfig: opts.kubeconfig, kubectl: opts.kubectl, token: creds.token });
    throw err;
  }
  return creds;
}

/**
 * Checks the credentials the way the node will use them (the token and CA alone, straight to
 * the server): the API server accepts the token and its holder may create CSRs that get
 * auto-approved. A token just created may take a moment to be seen: 401s are retried for
 * `waitMs` (default 10 s). `server`: the address to try (default: the kubeconfig's).
 */
export async function checkNodeJoin(creds: NodeJoinCredentials, opts: { server?: string; waitMs?: number } = {}): Promise<void> {
  const server = opts.server ?? creds.server;
  const until = Date.now() + (opts.waitMs ?? 10_000);
  const review = async (subresource: string | undefined) => {
    const res = await fetch(`${server}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`, {
      method: "POST", tls: { ca: creds.caPem },
      headers: { authorization: `Bearer ${creds.token}`, "content-type": "application/json" },
      body: JSON.stringify({ apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview",
        spec: { resourceAttributes: { group: "certificates.k8s.io", resource: "certificatesigningrequests", subresource, verb: "create" } } }),
      signal: AbortSignal.timeout(10_000),
    } as RequestInit);
    const text = await res.text();
    return { status: res.status, text, allowed: res.status === 201 && (JSON.parse(text) as { status?: { allowed?: boolean } }).status?.allowed === true };
  };
  for (const need of TOKEN_NEEDS) {
    let r = await review(need.subresource);
    while (r.status === 401 && Date.now() < until) {
      await Bun.sleep(250);
      r = await review(need.subresource);
    }
    if (r.status === 401) {
      throw new Error(`${server} refused the bootstrap token (401): revoked, expired, or the API server does not run with --enable-bootstrap-token-auth`);
    }
    if (r.status !== 201) throw new Error(`${server}: asking what the bootstrap token may do: HTTP ${r.status} ${r.text.trim()}`);
    const what = `create certificatesigningrequests${need.subresource ? `/${need.subresource}` : ""}`;
    if (!r.allowed) throw new Error(`${server}: the bootstrap token may not ${what}; its group needs the ClusterRole ${need.role} (createNodeJoin binds it for ${BOOTSTRAP_GROUP})`);
  }
}

/** Deletes the token's Secret: the API server refuses the token from then on (after its
 *  authentication cache, seconds). Deleting a token that is already gone is not an error. */
export async function revokeNodeJoin(opts: { kubeconfig: string; kubectl: string; token: string }): Promise<void> {
  const { id } = parseToken(opts.token);
  await kubectlOk(kubectlFor(opts.kubectl, opts.kubeconfig), ["delete", "secret", "-n", TOKEN_NAMESPACE, `${TOKEN_SECRET_PREFIX}${id}`, "--ignore-not-found"]);
}

/** The kubelet's --bootstrap-kubeconfig. `server`: the API server's address as the guest reaches
 *  it (default: the kubeconfig's). */
export function bootstrapKubeconfig(creds: NodeJoinCredentials, opts: { server?: string } = {}): string {
  const server = opts.server ?? creds.server;
  if (!/^https:\/\/[^/\s]+/.test(server)) throw new Error(`server: expected an https:// URL, got "${server}"`);
  parseToken(creds.token);
  const q = JSON.stringify; // a JSON string is a YAML double-quoted scalar
  const user = "tls-bootstrap-token-user";
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: kubernetes",
    "  cluster:",
    `    server: ${q(server)}`,
    `    certificate-authority-data: ${Buffer.from(creds.caPem).toString("base64")}`,
    "users:",
    `- name: ${user}`,
    "  user:",
    `    token: ${q(creds.token)}`,
    "contexts:",
    `- name: ${user}@kubernetes`,
    "  context:",
    "    cluster: kubernetes",
    `    user: ${user}`,
    `current-context: ${user}@kubernetes`,
    "",
  ].join("\n");
}
