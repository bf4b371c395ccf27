#!/usr/bin/env bun
// `bun run proto-types [--check]`: src/generated/kubelet-proto/ from the kubelet's .proto files.
import { relative } from "node:path";
import { REPO_ROOT } from "../chart/generate-chart.ts";
import { runGeneratorCli } from "../generated-files.ts";
import { checkProtoTypes, PROTO_TYPES_DIR, writeProtoTypes } from "./generate.ts";

export const USAGE = `Usage: bun run proto-types [--check]

Writes apps/dra-driver/src/generated/kubelet-proto/ (the kubelet registration and DRA v1,
v1beta1 message and service types) from apps/dra-driver/proto with @grpc/proto-loader's
proto-loader-gen-types.

  --check   write nothing; exit 1 naming every generated file that differs
  --help    show this help`;

export function runProtoTypesCli(argv: string[]): number {
  return runGeneratorCli({ name: "proto-types", usage: USAGE, shown: relative(REPO_ROOT, PROTO_TYPES_DIR), source: "the protos", check: () => checkProtoTypes(), write: () => writeProtoTypes() }, argv);
}

if (import.meta.main) process.exit(runProtoTypesCli(process.argv.slice(2)));
