#!/usr/bin/env bun
// `bun run example-pods [--check]`: examples/pods/*.yaml from generate-pods.ts.
import { relative } from "node:path";
import { REPO_ROOT } from "../chart/generate-chart.ts";
import { runGeneratorCli } from "../generated-files.ts";
import { checkExampleFiles, EXAMPLE_PODS_DIR, writeExampleFiles } from "./generate-pods.ts";

export const USAGE = `Usage: bun run example-pods [--check]

Writes examples/pods/*.yaml (a ResourceClaimTemplate and a Pod per example) from
apps/dra-driver/src/example-pods/generate-pods.ts; examples/pods/README.md is written by hand.

  --check   write nothing; exit 1 naming every example file that differs
  --help    show this help`;

export function runExamplePodsCli(argv: string[]): number {
  return runGeneratorCli({ name: "example-pods", usage: USAGE, shown: relative(REPO_ROOT, EXAMPLE_PODS_DIR), source: "the generator", check: () => checkExampleFiles(), write: () => writeExampleFiles() }, argv);
}

if (import.meta.main) process.exit(runExamplePodsCli(process.argv.slice(2)));
