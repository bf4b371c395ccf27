// Build the test's static C client (test/c/mock-accel-ioctl.c) into a temp dir.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function buildIoctlClient(): string {
  const out = join(mkdtempSync(join(tmpdir(), "mock-accel-ioctl-")), "mock-accel-ioctl");
  const r = spawnSync("gcc", ["-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o", out, join(import.meta.dirname, "c", "mock-accel-ioctl.c")], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`gcc test/c/mock-accel-ioctl.c failed:\n${r.stderr}`);
  return out;
}
