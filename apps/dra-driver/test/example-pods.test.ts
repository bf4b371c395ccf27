// The example workloads in examples/pods/: the committed files are what the generator makes,
// every object has its API's shape, each Pod names the workload image the nodes import with a
// policy that never pulls, the claims name the driver's classes and attributes, and the
// container's report script and parseExampleLog agree (the script run by a real shell).
import { IMAGE_REFS } from "@mock-accel/node-image";
import { createFakeSysfs, MockAccelSysfs, type FakeSysfs } from "@mock-accel/sysfs-client";
import type { V1Device } from "@kubernetes/client-node";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_DRIVER_NAME } from "../src/driver.ts";
import {
  BANNER, checkExampleFiles, EXAMPLE_PODS_DIR, examplePods, FIT_TOGETHER, generateExampleFiles, LOG_PREFIX, parseExampleLog, POD_CLAIM, reportScript, writeExampleFiles,
} from "../src/example-pods/generate-pods.ts";
import { DeviceInventory } from "../src/inventory.ts";
import { silentLogger } from "../src/logger.ts";
import { deviceClasses, type K8sObject } from "../src/manifests.ts";
import { celDevice, selects } from "./dra-cel.ts";
import { demoFakeTopology } from "./demo-topology.ts";
import { runReportScript, SHELL } from "./report-script.ts";

interface PodSpec {
  resourceClaims: { name: string; resourceClaimTemplateName?: string }[];
  containers: { name: string; image: string; imagePullPolicy?: string; command: string[]; resources?: { claims?: { name: string }[] } }[];
}
interface Request { name: string; exactly: { deviceClassName: string; count: number; selectors?: { cel: { expression: string } }[] } }
interface TemplateSpec { spec: { devices: { requests: Request[]; constraints?: { requests: string[]; matchAttribute: string }[] } } }

const exampleFiles = () => readdirSync(EXAMPLE_PODS_DIR).filter((f) => f.endsWith(".yaml")).sort();
const objectsOf = (file: string) => parseAllDocuments(readFileSync(join(EXAMPLE_PODS_DIR, file), "utf8")).map((d) => d.toJS() as K8sObject);

describe("examples/pods", () => {
  it("holds exactly what the generator makes (`bun run example-pods --check` passes)", () => {
    expect(checkExampleFiles()).toEqual([]);
    expect(exampleFiles()).toEqual(generateExampleFiles().map((f) => f.path).sort());
    for (const f of exampleFiles()) expect(readFileSync(join(EXAMPLE_PODS_DIR, f), "utf8").startsWith(`${BANNER}\n`), f).toBe(true);
  });

  it("the check names missing, edited and stale files; writing fixes them and leaves hand-written files alone", () => {
    const dir = mkdtempSync(join(tmpdir(), "example-pods-"));
    try {
      const files = generateExampleFiles();
      expect(checkExampleFiles(dir, files).map((d) => d.kind)).toEqual(files.map(() => "missing"));
      writeExampleFiles(dir, files);
      writeFileSync(join(dir, "README.md"), "by hand\n");
      writeFileSync(join(dir, "mine.yaml"), "# not generated\n");
      writeFileSync(join(dir, "old.yaml"), `${BANNER}\nkind: Pod\n`);
      writeFileSync(join(dir, files[0]!.path), `${files[0]!.content}# edited\n`);
      expect(checkExampleFiles(dir, files)).toEqual([{ path: files[0]!.path, kind: "out of date" }, { path: "old.yaml", kind: "stale" }]);
      expect(writeExampleFiles(dir, files)).toEqual({ written: [files[0]!.path], removed: ["old.yaml"] });
      expect(checkExampleFiles(dir, files)).toEqual([]);
      expect(readdirSync(dir).sort()).toEqual([...files.map((f) => f.path), "README.md", "mine.yaml"].sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(exampleFiles())("%s: a Namespace, a ResourceClaimTemplate and a Pod, each of its API's shape", async (file) => {
    const objects = objectsOf(file);
    expect(objects.map((o) => o.kind)).toEqual(["Namespace", "ResourceClaimTemplate", "Pod"]);
    for (const o of objects) {
      const [group, version] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : ["", o.apiVersion];
      const specifier = ["kubernetes-models", group, version, o.kind].filter(Boolean).join("/");
      const mod = (await import(/* @vite-ignore */ specifier)) as Record<string, new (d: unknown) => { validate(): void }>;
      expect(() => new mod[o.kind]!(o).validate(), `${o.kind} ${o.metadata.name}`).not.toThrow();
    }
    const [ns, template, pod] = objects as [K8sObject, K8sObject, K8sObject];
    expect(template.metadata.namespace).toBe(ns.metadata.name);
    expect(pod.metadata.namespace).toBe(ns.metadata.name);
    expect(pod.metadata.name).toBe(file.replace(/\.yaml$/, ""));
  });

  it.each(exampleFiles())("%s: the Pod runs the imported workload image, never pulls, and hands its one claim to its container", (file) => {
    const [, template, pod] = objectsOf(file) as [K8sObject, K8sObject, K8sObject & { spec: PodSpec }];
    expect(pod.spec.resourceClaims).toEqual([{ name: POD_CLAIM, resourceClaimTemplateName: template.metadata.name }]);
    expect(pod.spec.containers).toHaveLength(1);
    const c = pod.spec.containers[0]!;
    expect(c.image).toBe(IMAGE_REFS.workload);
    // The kubelet pulls for Always, and for IfNotPresent or no policy when the tag is latest or absent.
    const tag = /:([^:/]+)$/.exec(c.image)?.[1];
    const neverPulls = c.imagePullPolicy === "Never" || (c.imagePullPolicy === "IfNotPresent" && tag !== undefined && tag !== "latest");
    expect(neverPulls, `${c.image} with imagePullPolicy ${c.imagePullPolicy}`).toBe(true);
    expect(c.resources?.claims).toEqual([{ name: POD_CLAIM }]);
    expect(c.command).toEqual(["sh", "-c", reportScript()]);
  });

  describe("the claims, against the devices the driver publishes for examples/demo.yaml", () => {
    let dir: string;
    let fake: FakeSysfs;
    let devices: V1Device[];
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "example-pods-demo-"));
      fake = await createFakeSysfs(join(dir, "sys"), demoFakeTopology());
      devices = (await new DeviceInventory(new MockAccelSysfs({ root: fake.root }), DEFAULT_DRIVER_NAME, silentLogger).snapshot()).devices;
    });
    afterAll(async () => {
      await fake.cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    it.each(exampleFiles())("%s: names the driver's DeviceClasses and attributes every candidate device has; its CEL selects some device", (file) => {
      const template = objectsOf(file)[1] as K8sObject & { spec: TemplateSpec };
      const classes = new Map(deviceClasses(DEFAULT_DRIVER_NAME).map((c) => [c.metadata.name, (c as unknown as { spec: { selectors: { cel: { expression: string } }[] } }).spec.selectors.map((s) => s.cel.expression)]));
      const { requests, constraints = [] } = template.spec.spec.devices;
      const candidates = new Map(requests.map((r) => {
        const cls = classes.get(r.exactly.deviceClassName);
        expect(cls, `${file}: request ${r.name} names DeviceClass ${r.exactly.deviceClassName}`).toBeDefined();
        const expressions = [...cls!, ...(r.exactly.selectors ?? []).map((s) => s.cel.expression)];
        const chosen = devices.filter((d) => expressions.every((e) => selects(e, celDevice(DEFAULT_DRIVER_NAME, d))));
        expect(chosen.length, `${file}: request ${r.name} has candidates`).toBeGreaterThanOrEqual(r.exactly.count);
        return [r.name, chosen] as const;
      }));
      for (const c of constraints) {
        for (const r of c.requests) {
          expect(candidates.has(r), `${file}: constraint names request ${r}`).toBe(true);
          for (const d of candidates.get(r)!) expect(Object.keys(d.attributes ?? {}), `${file}: ${d.name} has ${c.matchAttribute}`).toContain(c.matchAttribute);
        }
      }
    });
  });

  it("README.md names every example and the ones that fit on the e2e topology together", () => {
    const readme = readFileSync(join(EXAMPLE_PODS_DIR, "README.md"), "utf8");
    for (const e of examplePods()) {
      expect(readme, e.name).toContain(`${e.name}.yaml`);
      expect(readme, e.name).toContain(e.namespace);
    }
    const together = readme.split("\n").find((l) => l.includes("at the same time"));
    expect(together, "a README line saying which examples run at the same time").toBeDefined();
    for (const name of FIT_TOGETHER) expect(together).toContain(name);
  });
});

describe("parseExampleLog", () => {
  it("reads the devices, the environment and whether the report is whole", () => {
    const text = [
      "some runtime line",
      `${LOG_PREFIX} devices /dev/mock0 /dev/mock0_vf1`,
      `${LOG_PREFIX} env MOCK_ACCEL_DEVICE=mock0_vf1`,
      `${LOG_PREFIX} env MOCK_ACCEL_DEVICES=mock0,mock0_vf1`,
      `${LOG_PREFIX} env MOCK_ACCEL_PCI=0000:11:00.2`,
      `${LOG_PREFIX} env MOCK_ACCEL_UUID=a=b`,
      `${LOG_PREFIX} end`,
      "",
    ].join("\n");
    expect(parseExampleLog(text)).toEqual({
      devices: ["/dev/mock0", "/dev/mock0_vf1"],
      env: { MOCK_ACCEL_DEVICE: "mock0_vf1", MOCK_ACCEL_DEVICES: "mock0,mock0_vf1", MOCK_ACCEL_PCI: "0000:11:00.2", MOCK_ACCEL_UUID: "a=b" },
      complete: true,
    });
    expect(parseExampleLog(`${LOG_PREFIX} devices /dev/mock1\r\n${LOG_PREFIX} env MOCK_ACCEL_DEVICE=mock1\r\n`)).toEqual({ devices: ["/dev/mock1"], env: { MOCK_ACCEL_DEVICE: "mock1" }, complete: false });
    expect(parseExampleLog(`${LOG_PREFIX} devices\n${LOG_PREFIX} end\n`)).toEqual({ devices: [], env: {}, complete: true });
    expect(parseExampleLog("")).toEqual({ devices: [], env: {}, complete: false });
  });

  it("names the line of a malformed report", () => {
    expect(() => parseExampleLog(`${LOG_PREFIX} devices /dev/mock0\n${LOG_PREFIX} devices /dev/mock1\n`)).toThrow(/line 2 .*a second devices line/);
    expect(() => parseExampleLog(`${LOG_PREFIX} devices\n${LOG_PREFIX} env PATH=/bin\n`)).toThrow(/line 2 .*MOCK_ACCEL_<NAME>=<value>/);
    expect(() => parseExampleLog(`${LOG_PREFIX} end\n`)).toThrow(/line 1 .*without a devices line/);
    expect(() => parseExampleLog(`${LOG_PREFIX} devices\n${LOG_PREFIX} end\n${LOG_PREFIX} env MOCK_ACCEL_X=1\n`)).toThrow(/line 3 .*after the end line/);
    expect(() => parseExampleLog(`${LOG_PREFIX} hello\n`)).toThrow(/line 1 .*expected devices, env or end/);
  });
});

describe(`the container's report script, run by \`${SHELL.join(" ")}\``, () => {
  it("prints what parseExampleLog reads, then sleeps until TERM, which ends it with status 0", async () => {
    const env = { MOCK_ACCEL_DEVICE: "mock0_vf1", MOCK_ACCEL_DEVICES: "mock0,mock0_vf1", MOCK_ACCEL_UUID: "0f3c-x", OTHER: "ignored" };
    const run = await runReportScript(reportScript(), ["/dev/mock0", "/dev/mock0_vf1"], env);
    expect(run.exitCode).toBe(0);
    expect(parseExampleLog(run.log)).toEqual({
      devices: ["/dev/mock0", "/dev/mock0_vf1"],
      env: { MOCK_ACCEL_DEVICE: "mock0_vf1", MOCK_ACCEL_DEVICES: "mock0,mock0_vf1", MOCK_ACCEL_UUID: "0f3c-x" },
      complete: true,
    });
    expect(parseExampleLog((await runReportScript(reportScript(), [], {})).log)).toEqual({ devices: [], env: {}, complete: true });
  });
});
