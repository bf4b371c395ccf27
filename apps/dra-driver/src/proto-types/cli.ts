#!/usr/bin/env bun
// `bun run proto-types [--check]`: src/generated/kubelet-proto/ from the kubelet's .proto files.
import { relative } from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "../chart/generate-chart.ts";
import { checkProtoTypes, PROTO_TYPES_DIR, writeProtoTypes } from "./generate.ts";

export const USAGE = `Usage: bun run proto-types [--check]

Writes apps/dra-driver/src/generated/kubelet-proto/ (the kubelet registration and DRA v1,
v1beta1 message and service types) from apps/dra-driver/proto with @grpc/proto-loader's
proto-loader-gen-types.

  --check   write nothing; exit 1 naming every generated file that differs
  --help    show this help`;

export function runProtoTypesCli(argv: string[]): number {
  let values: { check?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { check: { type: "boolean" }, help: { type: "boolean", short: "h" } }, strict: true }));
  } catch (err) {
    console.error(`proto-types: ${(err as Error).message.split("\n")[0]} (see --help)`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const shown = relative(REPO_ROOT, PROTO_TYPES_DIR);
  if (values.check) {
    const drift = checkProtoTypes();
    if (drift.length === 0) {
      console.log(`proto-types --check: ${shown} matches the protos`);
      return 0;
    }
    for (const d of drift) console.error(`${d.kind}: ${shown}/${d.path}`);
    console.error(`proto-types --check: ${drift.length} difference(s); run \`bun run proto-types\``);
    return 1;
  }
  const { written, removed } = writeProtoTypes();
  for (const p of written) console.log(`wrote ${shown}/${p}`);
  for (const p of removed) console.log(`removed ${shown}/${p}`);
  console.log(`proto-types: ${written.length} written, ${removed.length} removed`);
  return 0;
}

if (import.meta.main) process.exit(runProtoTypesCli(process.argv.slice(2)));
