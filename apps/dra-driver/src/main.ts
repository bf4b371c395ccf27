#!/usr/bin/env bun
// Entry point of the driver image (and of tests that run the plugin as its own process):
// `bun src/main.ts run [options]` / `bun src/main.ts manifests [options]`, the same as
// `mock-accel dra ...`. The protos are embedded so a `bun build --compile` binary of this file
// needs no files beside it.
import { draCommand } from "./dra-command.ts";
import { EMBEDDED_PROTOS } from "./embedded-protos.ts";
import { useEmbeddedProtos } from "./proto.ts";

useEmbeddedProtos(EMBEDDED_PROTOS);
process.exitCode = await draCommand(Bun.argv.slice(2));
