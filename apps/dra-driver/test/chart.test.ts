// The Helm chart against the real helm and a real control plane, both built from upstream
// sources (scripts/install-kubernetes.sh): lint, render with defaults and with every documented
// option and have the API server validate the result, install, upgrade, uninstall, refuse bad
// values, and install the packaged chart.
import { KubeConfig } from "@kubernetes/client-node";
import { findKubernetes, installCommand, startControlPlane, type ControlPlane } from "@mock-accel/cluster";
import { createFakeSysfs, dnsLabelName, MockAccelSysfs, type FakeSysfs } from "@mock-accel/sysfs-client";
import { assertAvailable, requirement, eventually } from "@mock-accel/testkit";
import { run, runOk } from "@mock-accel/vm-harness";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import { CHART_DIR } from "../src/chart/generate-chart.ts";
import { chartVersion, packageChart } from "../src/chart/package-chart.ts";
import { DEFAULT_DRIVER_NAME, startDriver, type RunningDriver } from "../src/driver.ts";
import { MemoryLogger } from "../src/logger.ts";
import { exampleClaims, renderObjects, type K8sObject } from "../src/manifests.ts";

const found = findKubernetes();
const kube = requirement("Kubernetes components and helm built from source", found.ok, installCommand());
const NAMESPACE = "mock-accel-chart";
const NODE = "chart-node";
const RELEASE = "mock-accel";

type Doc = K8sObject & { spec?: Record<string, unknown>; data?: Record<string, string> };

const docs = (yaml: string): Doc[] => parseAllDocuments(yaml).map((d) => d.toJS() as Doc | null).filter((d): d is Doc => d !== null);
const one = (all: Doc[], kind: string, name?: string): Doc => {
  const hits = all.filter((d) => d.kind === kind && (name === undefined || d.metadata.name === name));
  if (hits.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ""}, rendered ${hits.map((d) => d.metadata.name).join(", ") || "none"}`);
  return hits[0]!;
};
const podSpec = (ds: Doc) => (ds.spec as { template: { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } } }).template.spec;

// Every documented value set away from its default, in the two shapes of the kernel module.
const EVERY_OPTION_BUILD = {
  nameOverride: "devices",
  draDriver: { name: "accel.example.org", watchIntervalMs: 250, resyncIntervalMs: 3_600_000 },
  image: { repository: "registry.example.org/accel/driver", tag: "1.2", pullPolicy: "Always" },
  imagePullSecrets: [{ name: "regcred" }],
  verbosity: 0,
  nodeSelector: { "accel.example.org/devices": "true" },
  tolerations: [{ key: "dedicated", operator: "Equal", value: "accel", effect: "NoSchedule" }],
  affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/arch", operator: "In", values: ["amd64", "arm64"] }] }] } } },
  podAnnotations: { "accel.example.org/team": "devices" },
  resources: { requests: { cpu: "20m", memory: "32Mi" }, limits: { memory: "128Mi" } },
  serviceAccount: { create: true, name: "accel-agent" },
  rbac: { create: true },
  deviceClasses: { pf: { enabled: true }, vf: { enabled: true }, vfMinMemory: { enabled: true, minimum: "4Gi" }, numaNode: { enabled: true, node: 1 } },
  exampleClaims: { enabled: true },
  kernelModule: {
    enabled: true, mode: "build", firmwarePath: "/lib/firmware/accel",
    build: { image: "registry.example.org/accel/kmod", buildArgs: [{ name: "EXTRA_CFLAGS", value: "-DDEBUG" }] },
    kernelMappings: [], imageRepoSecret: "regcred",
  },
};
const EVERY_OPTION_PREBUILT = {
  fullnameOverride: "accel-node",
  serviceAccount: { create: false, name: "existing-agent" },
  rbac: { create: false },
  deviceClasses: { pf: { enabled: false }, vf: { enabled: true }, vfMinMemory: { enabled: false, minimum: "2Gi" }, numaNode: { enabled: false, node: 0 } },
  kernelModule: {
    enabled: true, mode: "prebuilt", firmwarePath: "",
    kernelMappings: [
      { regexp: "^6\\.1\\..+$", containerImage: "registry.example.org/accel/kmod:${KERNEL_FULL_VERSION}" },
      { literal: "6.12.0-1-amd64", containerImage: "registry.example.org/accel/kmod:debian-6.12" },
    ],
    imageRepoSecret: "",
  },
};

describe.skipIf(kube.skip)("the Helm chart with the real helm", () => {
  let dir: string;
  let env: Record<string, string>;
  const helmBin = () => (found.ok ? found.binaries.helm : "helm");
  const helmOptions = () => ({ env: { ...process.env, ...env }, timeoutMs: 180_000 });
  const helm = (args: string[]) => run(helmBin(), args, helmOptions());
  const helmOk = (args: string[]) => runOk(helmBin(), args, helmOptions());
  const valuesFile = (name: string, values: unknown) => {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, stringify(values));
    return file;
  };
  const template = async (extra: string[] = []) => docs(await helmOk(["template", RELEASE, CHART_DIR, "--namespace", NAMESPACE, ...extra]));

  beforeAll(() => {
    assertAvailable(kube);
    dir = mkdtempSync(join(tmpdir(), "chart-helm-"));
    // helm keeps its cache, config and data here, not under the user's home.
    env = { HELM_CACHE_HOME: join(dir, "helm", "cache"), HELM_CONFIG_HOME: join(dir, "helm", "config"), HELM_DATA_HOME: join(dir, "helm", "data"), KUBECONFIG: join(dir, "no-cluster.kubeconfig") };
    mkdirSync(join(dir, "helm"));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("helm lint is clean, also with --strict and with every option set", async () => {
    for (const extra of [[], ["-f", valuesFile("build", EVERY_OPTION_BUILD)], ["-f", valuesFile("prebuilt", EVERY_OPTION_PREBUILT)]]) {
      const plain = await helmOk(["lint", CHART_DIR, ...extra]);
      expect(plain).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
      const strict = await helmOk(["lint", "--strict", CHART_DIR, ...extra]);
      expect(strict).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
      expect(strict).not.toMatch(/\[WARNING\]|\[ERROR\]/);
    }
  }, 240_000);

  it("renders the objects manifests.ts builds: the chart and `dra manifests` are one source", async () => {
    const chart = await template(["--set", "kernelModule.enabled=true", "--set", "exampleClaims.enabled=true"]);
    const plain = renderObjects({ namespace: NAMESPACE, serviceAccountName: RELEASE, clusterRoleName: RELEASE });
    const comparable = (o: Doc) => {
      const { metadata, ...rest } = structuredClone(o) as Doc;
      return { ...rest, name: metadata.name, namespace: metadata.namespace, annotations: metadata.annotations };
    };
    // Everything but the DaemonSet (whose labels, scheduling and args the chart adds to) is
    // rendered as manifests.ts builds it; the Namespace is left to helm --create-namespace.
    for (const o of plain.filter((x) => x.kind !== "DaemonSet" && x.kind !== "Namespace")) {
      expect(comparable(one(chart, o.kind, o.metadata.name)), `${o.kind} ${o.metadata.name}`).toEqual(comparable(o as Doc));
    }
    const ds = podSpec(one(chart, "DaemonSet"));
    const want = podSpec(one(plain as Doc[], "DaemonSet"));
    expect(ds.volumes).toEqual(want.volumes);
    expect(ds.serviceAccountName).toBe(want.serviceAccountName);
    const { args, imagePullPolicy, ...container } = ds.containers[0]!;
    const { args: wantArgs, ...wantContainer } = want.containers[0]!;
    expect(container).toEqual(wantContainer);
    expect(imagePullPolicy).toBe("IfNotPresent");
    expect(args).toEqual([...(wantArgs as string[]), "--watch-interval-ms", "500", "--resync-interval-ms", "60000", "--verbosity", "1"]);
    expect(chart.filter((d) => d.kind === "Namespace")).toEqual([]);
  });

  it("sets every documented option where it belongs", async () => {
    const all = await template(["-f", valuesFile("build", EVERY_OPTION_BUILD)]);
    const v = EVERY_OPTION_BUILD;
    const ds = one(all, "DaemonSet", `${RELEASE}-devices`);
    expect(ds.metadata.labels!["app.kubernetes.io/name"]).toBe("devices");
    const pod = podSpec(ds);
    const c = pod.containers[0]!;
    expect(c.image).toBe("registry.example.org/accel/driver:1.2");
    expect(c.imagePullPolicy).toBe("Always");
    expect(c.args).toEqual(["run", "--driver-name", "accel.example.org", "--watch-interval-ms", "250", "--resync-interval-ms", "3600000", "--verbosity", "0"]);
    expect(c.resources).toEqual(v.resources);
    expect(pod.imagePullSecrets).toEqual(v.imagePullSecrets);
    expect(pod.nodeSelector).toEqual(v.nodeSelector);
    expect(pod.tolerations).toEqual(v.tolerations);
    expect(pod.affinity).toEqual(v.affinity);
    expect(pod.serviceAccountName).toBe("accel-agent");
    expect((ds.spec as { template: { metadata: { annotations: unknown } } }).template.metadata.annotations).toEqual(v.podAnnotations);
    expect(JSON.stringify(pod.volumes)).toContain("/var/lib/kubelet/plugins/accel.example.org");
    expect(one(all, "ServiceAccount", "accel-agent").metadata.namespace).toBe(NAMESPACE);
    const vap = one(all, "ValidatingAdmissionPolicy", `${RELEASE}-devices-own-node`);
    expect(JSON.stringify(vap.spec)).toContain(`system:serviceaccount:${NAMESPACE}:accel-agent`);
    expect(all.filter((d) => d.kind === "DeviceClass").map((d) => d.metadata.name).sort()).toEqual(["mock-accel-numa-node-1", "mock-accel-pf", "mock-accel-vf", "mock-accel-vf-min-memory"]);
    expect(JSON.stringify(one(all, "DeviceClass", "mock-accel-vf-min-memory").spec)).toContain(`quantity(\\"4Gi\\")`);
    expect(JSON.stringify(one(all, "DeviceClass", "mock-accel-numa-node-1").spec)).toMatch(/\.numaNode == 1"/);
    for (const d of all.filter((x) => x.kind === "DeviceClass")) expect(JSON.stringify(d.spec)).toContain(`device.driver == \\"accel.example.org\\"`);
    expect(all.filter((d) => d.kind === "ResourceClaim").map((d) => d.metadata.name).sort()).toEqual(exampleClaims(DEFAULT_DRIVER_NAME, NAMESPACE).map((c) => c.object.metadata.name).sort());
    const module = one(all, "Module", "mock-accel");
    const container = (module.spec as { moduleLoader: { container: Record<string, unknown> & { kernelMappings: Record<string, unknown>[] } } }).moduleLoader.container;
    expect(container.modprobe).toEqual({ moduleName: "mock_accel", firmwarePath: "/lib/firmware/accel" });
    expect(container.kernelMappings).toEqual([{
      regexp: "^.+$", containerImage: "registry.example.org/accel/kmod:${KERNEL_FULL_VERSION}",
      build: { dockerfileConfigMap: { name: one(all, "ConfigMap").metadata.name }, buildArgs: v.kernelModule.build.buildArgs },
    }]);
    expect((module.spec as { imageRepoSecret: unknown }).imageRepoSecret).toEqual({ name: "regcred" });
    expect(one(all, "ConfigMap").data!.dockerfile).toContain("FROM registry.example.org/accel/driver:1.2 AS source");

    const pre = await template(["-f", valuesFile("prebuilt", EVERY_OPTION_PREBUILT)]);
    expect(pre.map((d) => d.kind).sort()).toEqual(["DaemonSet", "DeviceClass", "Module"]);
    expect(podSpec(one(pre, "DaemonSet", "accel-node")).serviceAccountName).toBe("existing-agent");
    const preModule = one(pre, "Module").spec as { moduleLoader: { container: Record<string, unknown> }; imageRepoSecret?: unknown };
    expect(preModule.moduleLoader.container.kernelMappings).toEqual(EVERY_OPTION_PREBUILT.kernelModule.kernelMappings);
    expect(preModule.moduleLoader.container.modprobe).toEqual({ moduleName: "mock_accel", firmwarePath: "" });
    expect(preModule.imageRepoSecret).toBeUndefined();
  });

  it("the schema refuses a wrong type, an unknown key and prebuilt without images, naming the path", async () => {
    const refused = async (args: string[]) => {
      const r = await helm(["template", RELEASE, CHART_DIR, "--namespace", NAMESPACE, ...args]);
      expect(r.code, r.stdout).not.toBe(0);
      return r.stderr;
    };
    expect(await refused(["--set", "verbosity=loud"])).toContain("- at '/verbosity': got string, want integer");
    expect(await refused(["--set-string", "deviceClasses.numaNode.node=one"])).toContain("- at '/deviceClasses/numaNode/node': got string, want integer");
    expect(await refused(["--set", "image.tga=1.0"])).toContain("- at '/image': additional properties 'tga' not allowed");
    expect(await refused(["--set", "imagee.tag=1.0"])).toContain("- at '': additional properties 'imagee' not allowed");
    expect(await refused(["--set", "draDriver.name=Not_A_DNS_Name"])).toContain("- at '/draDriver/name': 'Not_A_DNS_Name' does not match pattern");
    expect(await refused(["--set", "kernelModule.enabled=true", "--set", "kernelModule.mode=prebuilt"])).toContain("- at '/kernelModule/kernelMappings': minItems: got 0, want 1");
    expect(await refused(["--set", "kernelModule.mode=download"])).toContain("- at '/kernelModule/mode': value must be one of 'build', 'prebuilt'");
  }, 240_000);

  it("a `namespace` value is refused with what to use instead", async () => {
    const r = await helm(["template", RELEASE, CHART_DIR, "--namespace", NAMESPACE, "--set", "namespace=elsewhere"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("value 'namespace' (elsewhere) is not supported");
    expect(r.stderr).toContain("Use --namespace NAME (with --create-namespace");
    expect(r.stderr).toContain("pod-security.kubernetes.io/enforce=privileged");
  });

  describe("on a real control plane", () => {
    let plane: ControlPlane;
    let fake: FakeSysfs;
    let driver: RunningDriver;
    const log = new MemoryLogger();
    const kubectl = (args: string[], input?: string) => plane.kubectlOk(args, { input });
    const dryRun = (objects: Doc[]) => kubectl(["apply", "--server-side", "--dry-run=server", "--field-manager=chart-test", "-f", "-"], objects.map((o) => stringify(o)).join("---\n"));
    const names = async (kinds: string, namespaced: boolean, selector?: string) =>
      (await kubectl(["get", kinds, ...(namespaced ? ["-n", NAMESPACE] : []), ...(selector ? ["-l", selector] : []), "-o", "name"])).split("\n").filter(Boolean).sort();
    const CLUSTER_KINDS = "deviceclasses,clusterroles,clusterrolebindings,validatingadmissionpolicies,validatingadmissionpolicybindings";
    const NAMESPACED_KINDS = "daemonsets,serviceaccounts,configmaps,secrets,resourceclaims,pods";
    const snapshot = async () => ({ cluster: await names(CLUSTER_KINDS, false), namespaced: await names(NAMESPACED_KINDS, true) });
    let before: Awaited<ReturnType<typeof snapshot>>;

    beforeAll(async () => {
      plane = await startControlPlane();
      env = { ...env, KUBECONFIG: plane.kubeconfig };
      // The namespace as the README says to make it: labelled for the privileged DaemonSet.
      await kubectl(["create", "namespace", NAMESPACE]);
      await kubectl(["label", "namespace", NAMESPACE, "pod-security.kubernetes.io/enforce=privileged"]);
      // A Node the scheduler places claim-using Pods on. Its taint keeps the DaemonSet's Pods
      // away: no kubelet runs here to finish their deletion, and uninstall must leave nothing.
      await kubectl(["apply", "--server-side", "-f", "-"], stringify({
        apiVersion: "v1", kind: "Node", metadata: { name: NODE, labels: { "kubernetes.io/hostname": NODE } },
        spec: { taints: [{ key: "mock-accel.example.com/no-kubelet", effect: "NoSchedule" }] },
      }));
      const now = new Date().toISOString();
      const resources = { cpu: "8", memory: "16Gi", pods: "50" };
      const patched = await plane.request("PATCH", `/api/v1/nodes/${NODE}/status`, {
        status: { capacity: resources, allocatable: resources, conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", lastHeartbeatTime: now, lastTransitionTime: now }] },
      });
      expect(patched.status).toBe(200);
      // The driver publishes a fake node's devices: a PF with two VFs on NUMA node 0, a PF on node 1.
      fake = await createFakeSysfs(join(dir, "sys"), [{ numaNode: 0, totalVfs: 2, enabledVfs: 2 }, { numaNode: 1 }]);
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromFile(plane.kubeconfig);
      const d = join(dir, "driver");
      driver = await startDriver({
        driverName: DEFAULT_DRIVER_NAME, nodeName: NODE, kubeConfig, log, watchIntervalMs: 100,
        sysfsRoot: fake.root, registrarDir: join(d, "plugins_registry"), pluginDir: join(d, "plugins"), cdiDir: join(d, "cdi"), checkpointPath: join(d, "checkpoint.json"),
      });
      before = await snapshot();
    }, 300_000);

    afterAll(async () => {
      await driver?.stop();
      await plane?.stop();
      await fake?.cleanup();
    });

    it("helm template with defaults and with every option applies with kubectl apply --server-side --dry-run=server", async () => {
      const defaults = await template();
      expect((await dryRun(defaults)).split("\n").filter(Boolean)).toHaveLength(defaults.length);
      for (const [name, values] of [["build", EVERY_OPTION_BUILD], ["prebuilt", EVERY_OPTION_PREBUILT]] as const) {
        const all = await template(["-f", valuesFile(name, values)]);
        // KMM's Module CRD is not installed here: everything else goes to the API server, the
        // Module was checked as rendered above.
        const rest = all.filter((o) => o.kind !== "Module");
        expect(all.length - rest.length).toBe(1);
        const out = await dryRun(rest);
        expect(out.split("\n").filter(Boolean), name).toHaveLength(rest.length);
        expect(out).toContain("(server dry run)");
      }
    }, 240_000);

    it("helm install: the DeviceClasses exist and the real scheduler allocates through their CEL", async () => {
      await helmOk(["install", RELEASE, CHART_DIR, "--namespace", NAMESPACE]);
      expect(await names("deviceclasses", false, `app.kubernetes.io/instance=${RELEASE}`)).toEqual(["deviceclass.resource.k8s.io/mock-accel-pf", "deviceclass.resource.k8s.io/mock-accel-vf"]);
      expect(await names("daemonsets", true)).toEqual([`daemonset.apps/${RELEASE}`]);
      const sysfs = new MockAccelSysfs({ root: fake.root });
      const all = await sysfs.discover();
      for (const [cls, count, kind] of [["mock-accel-pf", 1, "pf"], ["mock-accel-vf", 2, "vf"]] as const) {
        const name = `${kind}-claim`;
        await kubectl(["apply", "--server-side", "-f", "-"], [
          { apiVersion: "resource.k8s.io/v1", kind: "ResourceClaim", metadata: { name, namespace: NAMESPACE }, spec: { devices: { requests: [{ name: "accel", exactly: { deviceClassName: cls, allocationMode: "ExactCount", count } }] } } },
          {
            apiVersion: "v1", kind: "Pod", metadata: { name: `uses-${name}`, namespace: NAMESPACE },
            spec: {
              tolerations: [{ operator: "Exists" }],
              resourceClaims: [{ name: "accel", resourceClaimName: name }],
              containers: [{ name: "main", image: "example.invalid/never-pulled", resources: { claims: [{ name: "accel" }] } }],
            },
          },
        ].map((o) => stringify(o)).join("---\n"));
        const results = await eventually(`claim ${name} allocated`, async () => {
          const c = JSON.parse(await kubectl(["get", "resourceclaim", name, "-n", NAMESPACE, "-o", "json"])) as { status?: { allocation?: { devices: { results: { device: string; driver: string }[] } } } };
          return c.status?.allocation?.devices.results;
        });
        expect(results).toHaveLength(count);
        for (const r of results) {
          expect(r.driver).toBe(DEFAULT_DRIVER_NAME);
          expect(all.find((x) => dnsLabelName(x.name) === r.device)?.kind, r.device).toBe(kind);
        }
        await kubectl(["delete", "pod", `uses-${name}`, "-n", NAMESPACE, "--grace-period=0", "--force"]);
        await kubectl(["delete", "resourceclaim", name, "-n", NAMESPACE, "--timeout=60s"]);
      }
      expect(log.lines.filter((l) => l.startsWith("error:"))).toEqual([]);
    }, 240_000);

    it("helm upgrade changing values takes effect", async () => {
      await helmOk(["upgrade", RELEASE, CHART_DIR, "--namespace", NAMESPACE, "--reuse-values",
        "--set", "deviceClasses.vf.enabled=false", "--set", "deviceClasses.numaNode.enabled=true", "--set", "verbosity=0"]);
      expect(await names("deviceclasses", false, `app.kubernetes.io/instance=${RELEASE}`)).toEqual(["deviceclass.resource.k8s.io/mock-accel-numa-node-0", "deviceclass.resource.k8s.io/mock-accel-pf"]);
      const ds = JSON.parse(await kubectl(["get", "daemonset", RELEASE, "-n", NAMESPACE, "-o", "json"])) as Doc;
      const args = podSpec(ds).containers[0]!.args as string[];
      expect(args[args.indexOf("--verbosity") + 1]).toBe("0");
      expect(JSON.parse(await helmOk(["get", "values", RELEASE, "--namespace", NAMESPACE, "-o", "json"]))).toEqual({ deviceClasses: { vf: { enabled: false }, numaNode: { enabled: true } }, verbosity: 0 });
    }, 240_000);

    it("helm uninstall leaves nothing of the release behind", async () => {
      await helmOk(["uninstall", RELEASE, "--namespace", NAMESPACE, "--wait"]);
      expect(await snapshot()).toEqual(before);
      expect(await names(`${CLUSTER_KINDS},${NAMESPACED_KINDS}`, true, `app.kubernetes.io/instance=${RELEASE}`)).toEqual([]);
      expect((await helmOk(["list", "--namespace", NAMESPACE, "-q"])).trim()).toBe("");
      // No history kept either (the release's Secrets are gone, see the snapshot).
      expect((await helm(["history", RELEASE, "--namespace", NAMESPACE])).stderr).toMatch(/release: not found/);
    }, 240_000);

    it("the packaged chart (helm package, versioned from package.json) installs", async () => {
      const tgz = packageChart(helmBin(), join(dir, "dist"));
      expect(basename(tgz)).toBe(`mock-accel-${chartVersion()}.tgz`);
      const shown = await helmOk(["show", "chart", tgz]);
      expect(shown).toContain(`version: ${chartVersion()}`);
      await helmOk(["install", "packaged", tgz, "--namespace", NAMESPACE, "--set", "deviceClasses.vfMinMemory.enabled=true"]);
      expect(await names("deviceclasses", false, "app.kubernetes.io/instance=packaged")).toEqual([
        "deviceclass.resource.k8s.io/mock-accel-pf", "deviceclass.resource.k8s.io/mock-accel-vf", "deviceclass.resource.k8s.io/mock-accel-vf-min-memory",
      ]);
      await helmOk(["uninstall", "packaged", "--namespace", NAMESPACE, "--wait"]);
      expect(await snapshot()).toEqual(before);
    }, 240_000);
  });
});

