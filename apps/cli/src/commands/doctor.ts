// `mock-accel doctor [--json]`: what this machine has for mock-accel, and how to fix the rest.
import type { CommandModule } from "../command.ts";
import { parseCommand } from "../args.ts";
import { runAllChecks } from "../doctor/checks.ts";

const HELP = `Usage: mock-accel doctor [--json]

Checks Bun, libvfio-user, each QEMU found (which mock transport it can serve, and why not the
other), kernel headers and the guest tools, and prints the command that fixes each problem.
Exit status 1 when something required is missing.`;

export const command: CommandModule = {
  async run(argv) {
    const parsed = parseCommand({ name: "doctor", options: { json: { type: "boolean", default: false }, help: { type: "boolean", short: "h", default: false } }, help: HELP }, argv);
    if (typeof parsed === "number") return parsed;
    const { values } = parsed;
    const results = runAllChecks();
    if (values.json) console.log(JSON.stringify(results, null, 2));
    else {
      const mark = { ok: "ok  ", warn: "warn", missing: "MISS" } as const;
      for (const r of results) {
        console.log(`[${mark[r.status]}] ${r.name}: ${r.detail}`);
        if (r.fix) console.log(`       fix: ${r.fix}`);
      }
    }
    return results.some((r) => r.status === "missing") ? 1 : 0;
  },
};
