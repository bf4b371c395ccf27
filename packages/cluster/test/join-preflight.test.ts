// What `cluster join` reads from a user's kubeconfig and cluster before it starts anything:
// where QEMU's forward connects, whether the release is new enough, which host name the nodes
// carry, and the clear refusals (not https, not reachable, too old) — the last two against the
// project's control plane standing in for a user's cluster.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertAvailable, requirement } from "@mock-accel/testkit";
import { apiServerTargetOf, findKubernetes, HOST_NAME_ENV, hostLabel, inspectCluster, installCommand, kubeletFor, type KubernetesBinaries, startControlPlane, versionAtLeast, type ControlPlane } from "../src/index.ts";

describe("apiServerTargetOf", () => {
  it("takes host:port from an https server URL, 443 when none is given", () => {
    expect(apiServerTargetOf("https://127.0.0.1:6443")).toBe("127.0.0.1:6443");
    expect(apiServerTargetOf("https://api.lab.example")).toBe("api.lab.example:443");
    expect(apiServerTargetOf("https://[::1]:36443/")).toBe("[::1]:36443");
  });
  it("refuses what a kubelet cannot join through, naming the kubeconfig", () => {
    expect(() => apiServerTargetOf("http://127.0.0.1:8080", "/k/config")).toThrow(/^\/k\/config: server "http:\/\/127.0.0.1:8080" is not https/);
    expect(() => apiServerTargetOf("https://rancher.example/k8s/clusters/c-1", "/k/config")).toThrow(/has a path/);
    expect(() => apiServerTargetOf("127.0.0.1:6443", "/k/config")).toThrow(/is not https|is not a URL/);
  });
});

describe("versionAtLeast", () => {
  it("compares Kubernetes releases numerically, with or without v and build suffixes", () => {
    expect(versionAtLeast("v1.34.0", "1.34.0")).toBe(true);
    expect(versionAtLeast("v1.35.1+k3s1", "1.34.0")).toBe(true);
    expect(versionAtLeast("v1.33.9", "1.34.0")).toBe(false);
    expect(versionAtLeast("v1.100.0", "1.34.0")).toBe(true);
    expect(() => versionAtLeast("latest", "1.34.0")).toThrow(/not a Kubernetes version: "latest"/);
  });
});

describe("kubeletFor", () => {
  const own = { version: "1.37.2", kubelet: "/pinned/kubelet" } as KubernetesBinaries;
  it("keeps the pinned kubelet for a cluster of its release or newer", () => {
    const said: string[] = [];
    for (const v of ["v1.37.0", "v1.37.9+k3s1", "v1.38.1"]) expect(kubeletFor(v, own, (l) => said.push(l))).toBe("/pinned/kubelet");
    expect(said).toEqual([]);
  });
  it("warns, naming the build command, when the cluster is older and its release is not built", () => {
    const said: string[] = [];
    expect(kubeletFor("v1.35.99", own, (l) => said.push(l))).toBe("/pinned/kubelet");
    expect(said.join("\n")).toMatch(/warning: the cluster runs v1.35.99, older than this kubelet \(1.37.2\).*install-kubernetes.sh -v --version 1.35.99/);
  });
});

describe("hostLabel", () => {
  it(`uses $${HOST_NAME_ENV} when set, made a DNS label`, () => {
    const before = process.env[HOST_NAME_ENV];
    try {
      process.env[HOST_NAME_ENV] = "Lab_Host.7";
      expect(hostLabel()).toBe("lab-host-7");
      process.env[HOST_NAME_ENV] = `${"a".repeat(39)}.b`;
      expect(hostLabel()).toBe("a".repeat(39)); // cut at 40, never ending in "-"
    } finally {
      if (before === undefined) delete process.env[HOST_NAME_ENV];
      else process.env[HOST_NAME_ENV] = before;
    }
  });
});

const kube = requirement("Kubernetes components built from source", findKubernetes().ok, installCommand());

describe.skipIf(kube.skip)("inspectCluster against a running cluster", () => {
  let cp: ControlPlane;
  let dir: string;
  beforeAll(async () => {
    assertAvailable(kube);
    dir = mkdtempSync(join(tmpdir(), "mock-accel-join-preflight-"));
    cp = await startControlPlane({ runDir: join(dir, "cp") });
  }, 180_000);
  afterAll(async () => {
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("finds the server, the kubernetes Service address and the guest network around it", async () => {
    const t = await inspectCluster(cp.binaries, cp.kubeconfig);
    expect(t.server).toBe(cp.server);
    expect(t.apiServerTarget).toBe(`127.0.0.1:${cp.ports.apiServer}`);
    expect(t.serviceIp).toBe("10.96.0.1");
    expect(t.network.apiServerAddress).toBe("10.96.0.1");
    expect(t.serverVersion).toBe(`v${cp.binaries.version}`);
  });

  it("says the host must reach the API server when nothing answers at the kubeconfig's address", async () => {
    // A loopback port nobody listens on: bind one, note it, close it.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const text = (await Bun.file(cp.kubeconfig).text()).replace(cp.server, `https://127.0.0.1:${port}`);
    const file = join(dir, "unreachable.kubeconfig");
    writeFileSync(file, text);
    await expect(inspectCluster(cp.binaries, file)).rejects.toThrow(new RegExp(`cannot reach the API server at 127.0.0.1:${port} .*This host must reach it over TCP`));
  });

  it("names the permissions a user without them lacks", async () => {
    const limited = await cp.kubeconfigFor("viewer", "jane", []);
    await expect(inspectCluster(cp.binaries, limited)).rejects.toThrow(/its user may not get services in namespace default \(to read the kubernetes Service address\), get nodes \(to wait for the nodes to be Ready\), delete nodes .*create secrets in namespace kube-system \(to create the bootstrap token\), create clusterrolebindings.*; cluster join needs those rights/);
  });
});
