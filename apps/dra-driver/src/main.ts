#!/usr/bin/env bun
// Entry point of the driver image (and of tests that run the plugin as its own process):
// `bun src/main.ts run [options]` / `bun src/main.ts manifests [options]`, the same as
// `mock-accel dra ...`.
import { draCommand } from "./dra-command.ts";

process.exitCode = await draCommand(Bun.argv.slice(2));
