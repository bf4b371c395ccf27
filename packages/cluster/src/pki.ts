// The control plane's certificates, made fresh for every run with the openssl command line:
// one CA, the API server's serving certificate (loopback names only), a client certificate per
// component, and the service-account signing key. EC P-256 throughout: fast to make, and every
// Kubernetes component accepts it.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "@mock-accel/vm-harness";

export interface CertPair {
  cert: string;
  key: string;
}

export interface ClientIdentity {
  /** Certificate subject CN: the user name the API server sees. */
  commonName: string;
  /** Subject O entries: the groups (system:masters is cluster-admin). */
  groups: string[];
}

export interface Pki {
  dir: string;
  ca: CertPair;
  apiServer: CertPair;
  /** The API server's own client certificate towards kubelets (logs, exec). */
  apiServerKubeletClient: CertPair;
  serviceAccountKey: string;
  serviceAccountPub: string;
  client(name: string, identity: ClientIdentity): Promise<CertPair>;
}

const DAYS = "30";

/** The API server's identity towards kubelets (kubeadm's names); the control plane grants it the
 *  kubelet API. */
export const API_SERVER_KUBELET_CLIENT: ClientIdentity = { commonName: "kube-apiserver-kubelet-client", groups: ["kubeadm:cluster-admins"] };

async function openssl(args: string[], cwd: string): Promise<void> {
  const r = await run("openssl", args, { cwd });
  if (r.code !== 0) throw new Error(`openssl ${args[0]} failed: ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" / ")}`);
}

function escapeSubject(v: string): string {
  return v.replace(/[/\\=+,]/g, (c) => `\\${c}`);
}

async function issue(dir: string, name: string, ca: CertPair, subject: string, ext: string[]): Promise<CertPair> {
  const pair = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  const csr = join(dir, `${name}.csr`);
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, `${ext.join("\n")}\n`);
  await openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", pair.key, "-subj", subject, "-out", csr], dir);
  await openssl(["x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-CAcreateserial", "-days", DAYS, "-sha256", "-extfile", extFile, "-out", pair.cert], dir);
  return pair;
}

/** Creates `dir` and everything in it. `serverNames`: extra DNS names/IPs for the API server. */
/** The `kubernetes` Service's address (the first of the control plane's Service range): the API server's certificate names it; VM nodes dial it. */
export const KUBERNETES_SERVICE_IP = "10.96.0.1";

export async function createPki(dir: string, { serverIps = ["127.0.0.1", KUBERNETES_SERVICE_IP], serverNames = ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"] } = {}): Promise<Pki> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = { cert: join(dir, "ca.crt"), key: join(dir, "ca.key") };
  await openssl(["req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", ca.key, "-out", ca.cert, "-days", DAYS, "-sha256",
    "-subj", "/CN=mock-accel-ca", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"], dir);
  const san = [...serverIps.map((ip) => `IP:${ip}`), ...serverNames.map((n) => `DNS:${n}`)].join(",");
  const apiServer = await issue(dir, "apiserver", ca, "/CN=kube-apiserver", ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment", "extendedKeyUsage=serverAuth", `subjectAltName=${san}`]);
  const clientExt = ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment", "extendedKeyUsage=clientAuth"];
  const client = (name: string, { commonName, groups }: ClientIdentity) =>
    issue(dir, name, ca, `/CN=${escapeSubject(commonName)}${groups.map((g) => `/O=${escapeSubject(g)}`).join("")}`, clientExt);
  const apiServerKubeletClient = await client("apiserver-kubelet-client", API_SERVER_KUBELET_CLIENT);
  const serviceAccountKey = join(dir, "sa.key");
  const serviceAccountPub = join(dir, "sa.pub");
  await openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", serviceAccountKey], dir);
  await openssl(["pkey", "-in", serviceAccountKey, "-pubout", "-out", serviceAccountPub], dir);
  return { dir, ca, apiServer, apiServerKubeletClient, serviceAccountKey, serviceAccountPub, client };
}
