#!/usr/bin/env bun
// `bun run example-pods [--check]`: examples/pods/*.yaml from generate-pods.ts.
import { relative } from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "../chart/generate-chart.ts";
import { checkExampleFiles, EXAMPLE_PODS_DIR, writeExampleFiles } from "./generate-pods.ts";

export const USAGE = `Usage: bun run example-pods [--check]

Writes examples/pods/*.yaml (a ResourceClaimTemplate and a Pod per example) from
apps/dra-driver/src/example-pods/generate-pods.ts; examples/pods/README.md is written by hand.

  --check   write nothing; exit 1 naming every example file that differs
  --help    show this help`;

export function runExamplePodsCli(argv: string[]): number {
  let values: { check?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { check: { type: "boolean" }, help: { type: "boolean", short: "h" } }, strict: true }));
  } catch (err) {
    console.error(`example-pods: ${(err as Error).message.split("\n")[0]} (see --help)`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const shown = relative(REPO_ROOT, EXAMPLE_PODS_DIR);
  if (values.check) {
    const drift = checkExampleFiles();
    if (drift.length === 0) {
      console.log(`example-pods --check: ${shown} matches the generator`);
      return 0;
    }
    for (const d of drift) console.error(`${d.kind}: ${shown}/${d.path}`);
    console.error(`example-pods --check: ${drift.length} difference(s); run \`bun run example-pods\``);
    return 1;
  }
  const { written, removed } = writeExampleFiles();
  for (const p of written) console.log(`wrote ${shown}/${p}`);
  for (const p of removed) console.log(`removed ${shown}/${p}`);
  console.log(`example-pods: ${written.length} written, ${removed.length} removed`);
  return 0;
}

if (import.meta.main) process.exit(runExamplePodsCli(process.argv.slice(2)));
