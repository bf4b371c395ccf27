// A Kubernetes control plane on loopback, built from upstream sources by
// scripts/install-kubernetes.sh: etcd, kube-apiserver (TLS, client certificates, RBAC + Node
// authorization), kube-controller-manager and kube-scheduler. Started in steps, each with a
// status line; stopped in reverse, leaving no process, port or file of its own behind.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "@mock-accel/vm-harness";
import { requireKubernetes, type KubernetesBinaries } from "./binaries.ts";
import { ComponentProcess } from "./component-process.ts";
import { writeKubeconfig } from "./kubeconfig.ts";
import { freeLoopbackPorts } from "./loopback-ports.ts";
import { startNodeRoutes, writeEgressSelectorConfig, type NodeRoutes } from "./node-routes.ts";
import { API_SERVER_KUBELET_CLIENT, createPki, type CertPair, type Pki } from "./pki.ts";

export interface ControlPlaneOptions {
  /** A folder for certificates, etcd data, kubeconfigs and logs. Created when missing; must be
   *  empty when it exists. Default: a new temporary folder. Removed (or emptied) on stop. */
  runDir?: string;
  /** Kubernetes release (default: the pinned one). */
  version?: string;
  /** One line per step (what is starting, how long it took). */
  onProgress?: (line: string) => void;
  /** How long to wait for every component to be ready. Default 180 s. */
  readyTimeoutMs?: number;
  /** Aborting stops the start: what has started is stopped and removed, and the promise rejects. */
  signal?: AbortSignal;
}

export interface ControlPlane {
  readonly runDir: string;
  readonly binaries: KubernetesBinaries;
  readonly server: string;
  /** cluster-admin (system:masters) kubeconfig. */
  readonly kubeconfig: string;
  readonly pki: Pki;
  readonly ports: { etcd: number; etcdPeer: number; apiServer: number; controllerManager: number; scheduler: number };
  readonly components: readonly ComponentProcess[];
  /** Where the API server's connections to kubelets (logs, exec) go: add a route per VM node. */
  readonly nodeRoutes: NodeRoutes;
  /** A kubeconfig for a client certificate made by this cluster's CA. */
  kubeconfigFor(name: string, user: string, groups: string[]): Promise<string>;
  /** `kubectl` with this cluster's admin kubeconfig. */
  kubectl(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<{ code: number; stdout: string; stderr: string }>;
  /** kubectl that throws on a non-zero exit, naming the command and its stderr. */
  kubectlOk(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<string>;
  /** GET/POST/... the API server as cluster-admin; JSON in and out. */
  request(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }>;
  stop(): Promise<void>;
}

const SERVICE_CIDR = "10.96.0.0/16";

class Steps {
  private readonly started = Date.now();
  constructor(private readonly onProgress: (line: string) => void) {}
  async run<T>(title: string, fn: () => Promise<T>): Promise<T> {
    const t0 = Date.now();
    this.onProgress(`${title} ...`);
    const value = await fn();
    this.onProgress(`${title}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return value;
  }
  get elapsedMs(): number {
    return Date.now() - this.started;
  }
}

function claimRunDir(runDir: string | undefined): { dir: string; remove: () => void } {
  if (runDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), "mock-accel-control-plane-"));
    return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
  }
  if (existsSync(runDir)) {
    if (readdirSync(runDir).length > 0) throw new Error(`${runDir}: not empty; the control plane keeps its certificates, etcd data and logs in a folder of its own (pass a new or empty --run-dir)`);
    // Empty and not ours: take back only what we put in it.
    return { dir: runDir, remove: () => { for (const e of readdirSync(runDir)) rmSync(join(runDir, e), { recursive: true, force: true }); } };
  }
  const first = mkdirSync(runDir, { recursive: true }) ?? runDir;
  return { dir: runDir, remove: () => rmSync(first, { recursive: true, force: true }) };
}

async function tlsGet(url: string, tls: { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean }): Promise<number> {
  try {
    const res = await fetch(url, { tls, signal: AbortSignal.timeout(5_000) } as RequestInit);
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>, failed: () => string | null): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const failure = failed();
    if (failure) throw new Error(`${what}: ${failure}`);
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${Math.round(timeoutMs / 1000)} s`);
    await Bun.sleep(250);
  }
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const binaries = requireKubernetes(options.version);
  const steps = new Steps(options.onProgress ?? (() => {}));
  const readyTimeoutMs = options.readyTimeoutMs ?? 180_000;
  const owned = claimRunDir(options.runDir);
  const runDir = owned.dir;
  const components: ComponentProcess[] = [];
  let nodeRoutes: NodeRoutes | undefined;
  const stopAll = async () => {
    for (const c of [...components].reverse()) await c.stop();
    await nodeRoutes?.close();
  };
  const anyExited = (): string | null => {
    if (options.signal?.aborted) return "interrupted";
    const dead = components.find((c) => c.exitStatus !== undefined);
    return dead ? `${dead.name} exited (${dead.exitStatus}); last lines of ${dead.logPath}:\n${dead.tail()}` : null;
  };

  try {
    const logs = join(runDir, "logs");
    mkdirSync(logs);
    const [etcd, etcdPeer, apiServer, controllerManager, scheduler] = (await freeLoopbackPorts(5)) as [number, number, number, number, number];
    const ports = { etcd, etcdPeer, apiServer, controllerManager, scheduler };
    const server = `https://127.0.0.1:${apiServer}`;

    if (options.signal?.aborted) throw new Error("interrupted");
    const pki = await steps.run("certificates (openssl)", () => createPki(join(runDir, "pki")));
    const admin = await pki.client("admin", { commonName: "mock-accel-admin", groups: ["system:masters"] });
    const kubeconfig = writeKubeconfig(join(runDir, "admin.kubeconfig"), server, pki.ca.cert, "admin", admin);
    const cmConfig = writeKubeconfig(join(runDir, "controller-manager.kubeconfig"), server, pki.ca.cert, "system:kube-controller-manager",
      await pki.client("controller-manager", { commonName: "system:kube-controller-manager", groups: [] }));
    const schedConfig = writeKubeconfig(join(runDir, "scheduler.kubeconfig"), server, pki.ca.cert, "system:kube-scheduler",
      await pki.client("scheduler", { commonName: "system:kube-scheduler", groups: [] }));
    nodeRoutes = await startNodeRoutes(join(runDir, "node-routes.sock"));
    const egressConfig = writeEgressSelectorConfig(join(runDir, "egress-selector.yaml"), nodeRoutes.socketPath);
    const adminTls = { ca: readFileSync(pki.ca.cert, "utf8"), cert: readFileSync(admin.cert, "utf8"), key: readFileSync(admin.key, "utf8") };

    await steps.run(`etcd on 127.0.0.1:${etcd}`, async () => {
      components.push(new ComponentProcess("etcd", binaries.etcd, [
        "--name=mock-accel", `--data-dir=${join(runDir, "etcd")}`,
        `--listen-client-urls=http://127.0.0.1:${etcd}`, `--advertise-client-urls=http://127.0.0.1:${etcd}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`, `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=mock-accel=http://127.0.0.1:${etcdPeer}`,
        // A throwaway test cluster: its data dies with the run, so fsync only costs time.
        "--unsafe-no-fsync", "--log-level=warn",
      ], join(logs, "etcd.log")));
      await waitFor("etcd", readyTimeoutMs, async () => (await fetch(`http://127.0.0.1:${etcd}/health`).then((r) => r.ok, () => false)), anyExited);
    });

    await steps.run(`kube-apiserver on ${server}`, async () => {
      components.push(new ComponentProcess("kube-apiserver", binaries["kube-apiserver"], [
        `--etcd-servers=http://127.0.0.1:${etcd}`,
        "--bind-address=127.0.0.1", `--secure-port=${apiServer}`, "--advertise-address=127.0.0.1",
        // The default `kubernetes` Service would point at 127.0.0.1, which Endpoints refuse.
        "--endpoint-reconciler-type=none",
        `--tls-cert-file=${pki.apiServer.cert}`, `--tls-private-key-file=${pki.apiServer.key}`,
        `--client-ca-file=${pki.ca.cert}`,
        `--kubelet-client-certificate=${pki.apiServerKubeletClient.cert}`, `--kubelet-client-key=${pki.apiServerKubeletClient.key}`,
        `--kubelet-certificate-authority=${pki.ca.cert}`,
        `--service-account-key-file=${pki.serviceAccountPub}`, `--service-account-signing-key-file=${pki.serviceAccountKey}`,
        "--service-account-issuer=https://kubernetes.default.svc",
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        "--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction",
        "--enable-bootstrap-token-auth=true", "--allow-privileged=true",
        `--egress-selector-config-file=${egressConfig}`,
        `--cert-dir=${join(runDir, "apiserver-certs")}`, "--profiling=false", "--v=1",
      ], join(logs, "kube-apiserver.log")));
      await waitFor("kube-apiserver", readyTimeoutMs, async () => (await tlsGet(`${server}/readyz`, adminTls)) === 200, anyExited);
      // Kubelets ask (Webhook authorization) whether the API server's client identity may use
      // their API (logs, exec, port-forward); RBAC's built-in role for that, bound to it.
      const granted = await fetch(`${server}/apis/rbac.authorization.k8s.io/v1/clusterrolebindings`, {
        method: "POST", tls: adminTls, headers: { "content-type": "application/json" },
        body: JSON.stringify({
          metadata: { name: "mock-accel:apiserver-kubelet-client" },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:kubelet-api-admin" },
          subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: API_SERVER_KUBELET_CLIENT.commonName }],
        }),
      } as RequestInit);
      if (granted.status !== 201) throw new Error(`granting the kubelet API to ${API_SERVER_KUBELET_CLIENT.commonName}: HTTP ${granted.status} ${await granted.text()}`);
    });

    await steps.run("kube-controller-manager and kube-scheduler", async () => {
      components.push(new ComponentProcess("kube-controller-manager", binaries["kube-controller-manager"], [
        `--kubeconfig=${cmConfig}`, `--authentication-kubeconfig=${cmConfig}`, `--authorization-kubeconfig=${cmConfig}`,
        "--bind-address=127.0.0.1", `--secure-port=${controllerManager}`, `--cert-dir=${join(runDir, "controller-manager-certs")}`,
        "--leader-elect=false", "--use-service-account-credentials=true",
        `--service-account-private-key-file=${pki.serviceAccountKey}`, `--root-ca-file=${pki.ca.cert}`,
        `--cluster-signing-cert-file=${pki.ca.cert}`, `--cluster-signing-key-file=${pki.ca.key}`,
        `--service-cluster-ip-range=${SERVICE_CIDR}`,
        "--controllers=*,bootstrapsigner,tokencleaner", "--profiling=false", "--v=1",
      ], join(logs, "kube-controller-manager.log")));
      components.push(new ComponentProcess("kube-scheduler", binaries["kube-scheduler"], [
        `--kubeconfig=${schedConfig}`, `--authentication-kubeconfig=${schedConfig}`, `--authorization-kubeconfig=${schedConfig}`,
        "--bind-address=127.0.0.1", `--secure-port=${scheduler}`, `--cert-dir=${join(runDir, "scheduler-certs")}`,
        "--leader-elect=false", "--profiling=false", "--v=1",
      ], join(logs, "kube-scheduler.log")));
      const insecure = { rejectUnauthorized: false };
      await waitFor("kube-controller-manager", readyTimeoutMs, async () => (await tlsGet(`https://127.0.0.1:${controllerManager}/healthz`, insecure)) === 200, anyExited);
      await waitFor("kube-scheduler", readyTimeoutMs, async () => (await tlsGet(`https://127.0.0.1:${scheduler}/healthz`, insecure)) === 200, anyExited);
      // Pods need the namespace's default ServiceAccount, which the controller manager creates.
      await waitFor("the default ServiceAccount", readyTimeoutMs,
        async () => (await tlsGet(`${server}/api/v1/namespaces/default/serviceaccounts/default`, adminTls)) === 200, anyExited);
    });
    options.onProgress?.(`control plane ready in ${(steps.elapsedMs / 1000).toFixed(1)} s`);

    const kubectl = (args: string[], opts: { input?: string; timeoutMs?: number } = {}) =>
      run(binaries.kubectl, args, { env: { ...process.env, KUBECONFIG: kubeconfig }, input: opts.input ?? "", timeoutMs: opts.timeoutMs ?? 120_000 });
    let stopped = false;
    return {
      runDir, binaries, server, kubeconfig, pki, ports, components, nodeRoutes,
      async kubeconfigFor(name: string, user: string, groups: string[]) {
        const pair: CertPair = await pki.client(name, { commonName: user, groups });
        return writeKubeconfig(join(runDir, `${name}.kubeconfig`), server, pki.ca.cert, user, pair);
      },
      kubectl,
      async kubectlOk(args, opts) {
        const r = await kubectl(args, opts);
        if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${r.code}: ${(r.stderr || r.stdout).trim()}`);
        return r.stdout;
      },
      async request(method, path, body) {
        const res = await fetch(`${server}${path}`, {
          method, tls: adminTls,
          headers: body === undefined ? {} : { "content-type": method === "PATCH" ? "application/merge-patch+json" : "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
        } as RequestInit);
        const text = await res.text();
        let json: unknown = text;
        try {
          json = JSON.parse(text);
        } catch {
          // not JSON (e.g. /readyz): keep the text
        }
        return { status: res.status, json };
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopAll();
        owned.remove();
      },
    };
  } catch (err) {
    await stopAll();
    // The message already quotes the failed component's log; the folder holding it goes.
    owned.remove();
    throw new Error(`control plane did not start: ${(err as Error).message}`);
  }
}
