#!/usr/bin/env bun
// The dra-driver package's `build` (run by `bun run build` through turbo): the Helm chart
// packaged into apps/dra-driver/dist/charts/mock-accel-<version>.tgz. Without helm (not built
// yet by scripts/install-kubernetes.sh) it says so and packages nothing; the chart's tests
// package it themselves and, under CI=true, fail without helm.
import { join } from "node:path";
import { findKubernetes } from "@mock-accel/cluster";
import { packageChart } from "./package-chart.ts";

const destination = join(import.meta.dirname, "..", "..", "dist", "charts");
const kube = findKubernetes();
if (!kube.ok) {
  console.log(`dra-driver build: Helm chart not packaged: ${kube.reason}`);
} else {
  try {
    console.log(`dra-driver build: ${packageChart(kube.binaries.helm, destination)}`);
  } catch (err) {
    console.error(`dra-driver build: ${(err as Error).message}`);
    process.exit(1);
  }
}
