// For tests that hold TypeScript constants against C headers: compile a program that prints
// each named C expression, run it, and return the values by name. Also the two things such a
// test requires (a C compiler, libvfio-user's headers), as testkit requirements.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { requirement } from "@mock-accel/testkit";
import { INSTALL_COMMAND } from "../src/transports/vfio-user/library-path.ts";
import { findInstallation } from "../src/transports/vfio-user/libvfio-user.ts";

export const gcc = requirement("gcc", spawnSync("cc", ["--version"]).status === 0, "apt-get install gcc");

function installation() {
  try {
    return findInstallation();
  } catch {
    return null;
  }
}
/** libvfio-user's include folder, or null when it is not installed. */
export const libvfioUserIncludeDir: string | null = installation()?.includeDir ?? null;
export const libvfioUserHeaders = requirement("libvfio-user headers", libvfioUserIncludeDir !== null, INSTALL_COMMAND);

export interface CProgram {
  /** `#include` lines' targets, e.g. "linux/pci_regs.h". */
  includes: string[];
  includeDirs?: string[];
  /** C code before main (helper functions). */
  prelude?: string;
  /** Name → a C expression its value is printed from (as long long). */
  values: Record<string, string>;
}

/** Compile (-Wall -Werror) and run the program; the printed values by name. */
export function cValues(program: CProgram): Record<string, number> {
  const source = [
    ...["stdio.h", "stddef.h", "stdint.h", "string.h", ...program.includes].map((h) => `#include <${h}>`),
    program.prelude ?? "",
    "int main(void) {",
    ...Object.entries(program.values).map(([name, expr]) => `  printf("%s %lld\\n", "${name}", (long long)(${expr}));`),
    "  return 0;",
    "}",
    "",
  ].join("\n");
  const dir = mkdtempSync(join(tmpdir(), "c-constants-"));
  try {
    writeFileSync(join(dir, "values.c"), source);
    const cc = spawnSync("cc", ["-Wall", "-Werror", ...(program.includeDirs ?? []).flatMap((d) => ["-I", d]), "-o", join(dir, "values"), join(dir, "values.c")], { encoding: "utf8" });
    expect(cc.stderr, "the program compiles against the installed headers").toBe("");
    expect(cc.status).toBe(0);
    const run = spawnSync(join(dir, "values"), { encoding: "utf8" });
    expect(run.status).toBe(0);
    return Object.fromEntries(run.stdout.trim().split("\n").map((l) => [l.split(" ")[0]!, Number(l.split(" ")[1])]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
