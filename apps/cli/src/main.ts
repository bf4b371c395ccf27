#!/usr/bin/env bun
// `mock-accel <command> [args]`: the one entry point. Each command lives in
// src/commands/<name>.ts and exports a CommandModule; this file only dispatches.
import type { CommandModule } from "./command.ts";

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ command: CommandModule }> }> = {
  demo: { summary: "set up, bring up a small topology, probe it, show what a DRA driver sees", load: () => import("./commands/demo.ts") },
  serve: { summary: "serve one mock device on a socket (old mock-accel-server flags)", load: () => import("./commands/serve.ts") },
  up: { summary: "serve every device of a topology file in one process", load: () => import("./commands/up.ts") },
  "qemu-args": { summary: "print QEMU arguments (or libvirt XML) for a VM of a topology", load: () => import("./commands/qemu-args.ts") },
  launch: { summary: "start QEMU for a VM of a topology with its devices wired", load: () => import("./commands/launch.ts") },
  probe: { summary: "connect to a device socket and print what it offers", load: () => import("./commands/probe.ts") },
  ls: { summary: "list mock-accel devices and attributes from sysfs", load: () => import("./commands/ls.ts") },
  doctor: { summary: "check this machine for everything mock-accel needs", load: () => import("./commands/doctor.ts") },
  codegen: { summary: "generate every layer from spec/registers.yaml (--check: fail on drift)", load: () => import("./commands/codegen.ts") },
  cluster: { summary: "Kubernetes built from upstream sources: `cluster control-plane`", load: () => import("./commands/cluster.ts") },
  dra: { summary: "the reference DRA driver: `dra run`, `dra manifests`", load: () => import("./commands/dra.ts") },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: mock-accel <command> [options]\n\nCommands:\n${lines.join("\n")}\n\nRun \`mock-accel <command> --help\` for a command's options.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    console.error(`mock-accel: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const { command } = await entry.load();
  return command.run(rest);
}

process.exitCode = await main(Bun.argv.slice(2));
