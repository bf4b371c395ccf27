// The chart generator without Helm: placeholders become the right template text, the committed
// chart matches what manifests.ts builds and `--check` names every kind of drift, the optional
// DeviceClasses' CEL selects what their names say, and `dra run` takes the flags the chart sets.
import type { V1Device } from "@kubernetes/client-node";
import { createFakeSysfs, MockAccelSysfs, type FakeSysfs } from "@mock-accel/sysfs-client";
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BANNER, CHART_DIR, checkChart, generateTemplates, writeChart } from "../src/chart/generate-chart.ts";
import { HelmYaml } from "../src/chart/helm-yaml.ts";
import { DeviceInventory } from "../src/inventory.ts";
import { leveledLogger, MemoryLogger, silentLogger } from "../src/logger.ts";
import { exampleDeviceClasses } from "../src/manifests.ts";
import { runCommand } from "../src/run-command.ts";
import { celDevice, parseQuantity, selects } from "./dra-cel.ts";

describe("HelmYaml", () => {
  it("quotes a placeholder that is a whole scalar and leaves one inside a string bare", () => {
    const h = new HelmYaml();
    const name = h.value(`include "x.name" .`);
    const text = h.render({ metadata: { name }, args: ["--name", name], expression: `device.driver == "${name}"` });
    expect(text).toContain(`  name: {{ include "x.name" . | quote }}\n`);
    expect(text).toContain(`  - {{ include "x.name" . | quote }}\n`);
    expect(text).toContain(`expression: device.driver == "{{ include "x.name" . }}"\n`);
    expect(text).not.toMatch(/__HELM/);
  });

  it("puts a block's lines at its key's indent and counts nindent from the file's margin", () => {
    const h = new HelmYaml();
    const inner = h.render({ a: { [h.withSection("nodeSelector", ".Values.nodeSelector")]: null } }, 6);
    expect(inner).toBe("a:\n  {{- with .Values.nodeSelector }}\n  nodeSelector:\n    {{- toYaml . | nindent 10 }}\n  {{- end }}\n");
    const outer = h.render({ spec: { template: { [h.includeSection("labels", "x.labels")]: null } } });
    expect(outer).toBe("spec:\n  template:\n    labels:\n      {{- include \"x.labels\" . | nindent 6 }}\n");
  });

  it("refuses a block that would open a list item", () => {
    const h = new HelmYaml();
    expect(() => h.render([{ [h.withSection("x", ".Values.x")]: null }])).toThrow(/cannot open a list item/);
  });
});

describe("the generated chart", () => {
  let copy: string;
  beforeAll(() => {
    copy = join(mkdtempSync(join(tmpdir(), "chart-check-")), "mock-accel");
    cpSync(CHART_DIR, copy, { recursive: true });
  });
  afterAll(() => rmSync(join(copy, ".."), { recursive: true, force: true }));

  it("is what manifests.ts builds now (the committed chart passes --check)", () => {
    expect(checkChart()).toEqual([]);
  });

  it("has one template per object, each with the do-not-edit banner and no placeholder left", () => {
    const templates = generateTemplates();
    expect(new Set(templates.map((t) => t.path)).size).toBe(templates.length);
    for (const t of templates) {
      expect(t.content.startsWith(`${BANNER}\n`)).toBe(true);
      expect(t.content).not.toMatch(/__HELM\d+__/);
    }
    const kinds = templates.map((t) => /^kind: (\w+)$/m.exec(t.content)?.[1]);
    // The namespace is Helm's (--namespace/--create-namespace), never a template.
    expect(kinds).not.toContain("Namespace");
    expect(kinds).toEqual(expect.arrayContaining(["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "DaemonSet", "DeviceClass", "Module", "ConfigMap", "ResourceClaim"]));
  });

  it("--check names a template edited by hand, one missing, a stale one, and values.yaml drift", () => {
    const daemonSet = join(copy, "templates", "daemonset-mock-accel-dra-driver.yaml");
    writeFileSync(daemonSet, readFileSync(daemonSet, "utf8").replace("privileged: true", "privileged: false"));
    unlinkSync(join(copy, "templates", "deviceclass-mock-accel-pf.yaml"));
    writeFileSync(join(copy, "templates", "deviceclass-gone.yaml"), `${BANNER}\nkind: DeviceClass\n`);
    writeFileSync(join(copy, "values.yaml"), readFileSync(join(copy, "values.yaml"), "utf8").replace("name: mock-accel.example.com", "name: other.example.com"));
    const drift = checkChart(copy);
    expect(drift).toEqual(expect.arrayContaining([
      { path: "templates/daemonset-mock-accel-dra-driver.yaml", kind: "out of date" },
      { path: "templates/deviceclass-mock-accel-pf.yaml", kind: "missing" },
      expect.objectContaining({ path: "templates/deviceclass-gone.yaml", kind: "stale" }),
      expect.objectContaining({ kind: "values", detail: expect.stringMatching(/draDriver\.name is "other\.example\.com", manifests\.ts \(DEFAULT_DRIVER_NAME\) has "mock-accel\.example\.com"/) }),
    ]));
    // Writing repairs the templates (values.yaml is hand-written and stays as it is).
    const { written, removed } = writeChart(copy);
    expect(written.sort()).toEqual(["templates/daemonset-mock-accel-dra-driver.yaml", "templates/deviceclass-mock-accel-pf.yaml"]);
    expect(removed).toEqual(["templates/deviceclass-gone.yaml"]);
    expect(checkChart(copy).map((d) => d.kind)).toEqual(["values"]);
  });
});

describe("the optional DeviceClasses' CEL", () => {
  const DRIVER = "accel.example.org";
  let dir: string;
  let fake: FakeSysfs;
  let devices: V1Device[];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "chart-cel-"));
    fake = await createFakeSysfs(join(dir, "sys"), [
      { numaNode: 0, totalVfs: 2, enabledVfs: 2, vfs: [{ memorySize: 1n << 30n }, { memorySize: 4n << 30n }] },
      { numaNode: 1, totalVfs: 1, enabledVfs: 1 },
    ]);
    devices = (await new DeviceInventory(new MockAccelSysfs({ root: fake.root }), DRIVER, silentLogger).snapshot()).devices;
  });
  afterAll(async () => {
    await fake.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });
  const matching = (expressions: string[]) => devices.filter((d) => expressions.every((e) => selects(e, celDevice(DRIVER, d)))).map((d) => d.name).sort();
  const attr = (d: V1Device, name: string) => d.attributes?.[name] ?? d.attributes?.[`${DRIVER}/${name}`];
  const memoryBytes = (d: V1Device) => parseQuantity(String(Object.entries(d.capacity ?? {}).find(([k]) => k.endsWith("memory"))?.[1]?.value));

  it("vfMinMemory selects exactly the VFs with at least the minimum (PFs have more, and are left out)", () => {
    const [vfMin] = exampleDeviceClasses(DRIVER, { vfMinMemory: "2Gi", numaNode: "0" });
    const selectors = (vfMin as unknown as { spec: { selectors: { cel: { expression: string } }[] } }).spec.selectors.map((s) => s.cel.expression);
    const vfs = devices.filter((d) => attr(d, "deviceType")?.string === "vf");
    const want = vfs.filter((d) => memoryBytes(d) >= 2n << 30n).map((d) => d.name).sort();
    // The topology: VFs of 1Gi, 4Gi and the default size; at least one is too small.
    expect(vfs.length).toBe(3);
    expect(want.length).toBeGreaterThan(0);
    expect(want.length).toBeLessThan(vfs.length);
    expect(matching(selectors)).toEqual(want);
  });

  it("numaNode selects the devices of either kind on that node", () => {
    for (const node of [0, 1]) {
      const [, numa] = exampleDeviceClasses(DRIVER, { vfMinMemory: "2Gi", numaNode: String(node) });
      expect(numa!.metadata.name).toBe(`mock-accel-numa-node-${node}`);
      const expression = (numa as unknown as { spec: { selectors: { cel: { expression: string } }[] } }).spec.selectors[0]!.cel.expression;
      const want = devices.filter((d) => String(attr(d, "numaNode")?._int) === String(node)).map((d) => d.name).sort();
      expect(want.length).toBeGreaterThan(1);
      expect(matching([expression])).toEqual(want);
    }
  });
});

describe("dra run flags the chart sets", () => {
  it("refuses a verbosity or interval that is not a whole number in range, naming the flag", async () => {
    const errors: string[] = [];
    const original = console.error;
    console.error = (m: string) => errors.push(m);
    try {
      expect(await runCommand(["--node-name", "n", "--verbosity", "loud"])).toBe(2);
      expect(await runCommand(["--node-name", "n", "--resync-interval-ms", "0"])).toBe(2);
      expect(await runCommand(["--node-name", "n", "--watch-interval-ms", "1.5"])).toBe(2);
    } finally {
      console.error = original;
    }
    expect(errors).toEqual([
      `mock-accel dra run: --verbosity: expected an integer of at least 0, got "loud"`,
      `mock-accel dra run: --resync-interval-ms: expected an integer of at least 1, got "0"`,
      `mock-accel dra run: --watch-interval-ms: expected an integer of at least 1, got "1.5"`,
    ]);
  });

  it("verbosity 0 keeps warnings and errors, 1 keeps info too", () => {
    const quiet = new MemoryLogger();
    const l0 = leveledLogger(quiet, 0);
    l0.info("published");
    l0.warn("slow");
    l0.error("failed");
    expect(quiet.lines).toEqual(["warn: slow", "error: failed"]);
    const loud = new MemoryLogger();
    leveledLogger(loud, 1).info("published");
    expect(loud.lines).toEqual(["info: published"]);
  });
});
