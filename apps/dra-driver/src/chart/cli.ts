#!/usr/bin/env bun
// `bun run chart [--check] [--package DIR]`: the Helm chart's templates from manifests.ts.
import { relative } from "node:path";
import { parseArgs } from "node:util";
import { findKubernetes } from "@mock-accel/cluster";
import { CHART_DIR, checkChart, REPO_ROOT, writeChart } from "./generate-chart.ts";
import { packageChart } from "./package-chart.ts";

export const USAGE = `Usage: bun run chart [--check] [--package DIR]

Writes charts/mock-accel/templates/ from the objects apps/dra-driver/src/manifests.ts builds
(the hand-written Chart.yaml, values.yaml, values.schema.json, _helpers.tpl, validation.yaml
and NOTES.txt stay as they are).

  --check        write nothing; exit 1 naming every template that differs, and every
                 values.yaml default or Chart.yaml version that disagrees with manifests.ts
                 or apps/dra-driver/package.json
  --package DIR  then \`helm package\` the chart into DIR (helm from scripts/install-kubernetes.sh)
  --help         show this help`;

export function runChartCli(argv: string[]): number {
  let values: { check?: boolean; package?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { check: { type: "boolean" }, package: { type: "string" }, help: { type: "boolean", short: "h" } }, strict: true }));
  } catch (err) {
    console.error(`chart: ${(err as Error).message.split("\n")[0]} (see --help)`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const shown = relative(REPO_ROOT, CHART_DIR);
  if (values.check) {
    const drift = checkChart();
    if (drift.length === 0) {
      console.log(`chart --check: ${shown} matches apps/dra-driver/src/manifests.ts`);
    } else {
      for (const d of drift) console.error(`${d.kind}: ${shown}/${d.path}${d.detail ? `: ${d.detail}` : ""}`);
      console.error(`chart --check: ${drift.length} difference(s); run \`bun run chart\` (values.yaml and Chart.yaml are edited by hand)`);
      return 1;
    }
  } else {
    const { written, removed } = writeChart();
    for (const p of written) console.log(`wrote ${shown}/${p}`);
    for (const p of removed) console.log(`removed ${shown}/${p}`);
    console.log(`chart: ${written.length} written, ${removed.length} removed`);
  }
  if (values.package !== undefined) {
    const kube = findKubernetes();
    if (!kube.ok) {
      console.error(`chart --package: ${kube.reason}`);
      return 1;
    }
    try {
      console.log(`packaged ${packageChart(kube.binaries.helm, values.package)}`);
    } catch (err) {
      console.error(`chart --package: ${(err as Error).message}`);
      return 1;
    }
  }
  return 0;
}

if (import.meta.main) process.exit(runChartCli(process.argv.slice(2)));
