// ./mock-accel on a machine without Bun: it installs Bun with npm, quietly. The npm here is a
// stand-in that records its arguments (tests never reach a registry) and leaves a stand-in bun.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../../..");
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function which(cmd: string): string {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" }).stdout.trim();
}

describe("./mock-accel without Bun", () => {
  it("installs Bun from npm with its install script allowed by name and no update notice", () => {
    const dir = mkdtempSync(join(tmpdir(), "launcher-"));
    dirs.push(dir);
    const bin = join(dir, "bin");
    mkdirSync(bin);
    // Only what the launcher needs, so the machine's own bun is not on PATH.
    for (const tool of ["bash", "dirname"]) symlinkSync(which(tool), join(bin, tool));
    const npmArgs = join(dir, "npm-args");
    writeFileSync(
      join(bin, "npm"),
      `#!${which("bash")}\nprintf '%s\\n' "$@" > ${npmArgs}\nprintf '#!${which("bash")}\\necho "bun $*"\\n' > ${bin}/bun\n/bin/chmod +x ${bin}/bun\n`,
    );
    chmodSync(join(bin, "npm"), 0o755);
    const r = spawnSync(join(bin, "bash"), [join(root, "mock-accel"), "doctor"], { encoding: "utf8", env: { PATH: bin, HOME: dir } });
    expect(r.status, r.stderr).toBe(0);
    const args = readFileSync(npmArgs, "utf8").trim().split("\n");
    expect(args).toEqual(expect.arrayContaining(["install", "-g", "--no-update-notifier", "--allow-scripts=bun"]));
    expect(args.find((a) => a.startsWith("bun@"))).toMatch(/^bun@\d+\.\d+\.\d+$/);
    // The hand-over to the (stand-in) bun, and nothing but the one line saying what it does.
    expect(r.stdout).toBe("bun apps/cli/src/main.ts doctor\n");
    expect(r.stderr.trim().split("\n").filter((l) => !l.includes("installing dependencies"))).toEqual(["mock-accel: installing Bun from npm ..."]);
  });
});
