// `helm package` of charts/mock-accel, versioned from apps/dra-driver/package.json (the chart's
// Chart.yaml carries the same version; `bun run chart --check` keeps them equal).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CHART_DIR, CHART_NAME, DRA_DRIVER_PACKAGE_JSON } from "./generate-chart.ts";

export function chartVersion(): string {
  return (JSON.parse(readFileSync(DRA_DRIVER_PACKAGE_JSON, "utf8")) as { version: string }).version;
}

/** Packages the chart into `destination`; returns the .tgz path. Throws with helm's message. */
export function packageChart(helm: string, destination: string, chartDir = CHART_DIR): string {
  const version = chartVersion();
  mkdirSync(destination, { recursive: true });
  const r = spawnSync(helm, ["package", chartDir, "--destination", destination, "--version", version, "--app-version", version], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`helm package ${chartDir} exited ${r.status ?? r.signal}: ${(r.stderr || r.stdout || String(r.error ?? "")).trim()}`);
  const tgz = join(destination, `${CHART_NAME}-${version}.tgz`);
  if (!existsSync(tgz)) throw new Error(`helm package said "${r.stdout.trim()}" but ${tgz} is missing`);
  return tgz;
}
