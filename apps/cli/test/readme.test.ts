// Every command the README shows is exercised: the quick ones run here exactly as written;
// the long ones name the test that runs them. A new command in the README without either
// fails this test.
import { describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { assertAvailable, requirement, untilOutput } from "@mock-accel/testkit";
import { libvfioUserInstalled } from "@mock-accel/server";

const root = join(import.meta.dirname, "../../..");
const readme = readFileSync(join(root, "README.md"), "utf8");

/** Command lines of the README's ```sh blocks, comments stripped. */
function readmeCommands(): string[] {
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.flatMap((b) => b.split("\n")).map((l) => l.replace(/\s+#.*$/, "").trim()).filter((l) => l !== "" && !l.startsWith("#"));
}

/** Long-running commands and the test file that runs them. */
const EXERCISED_ELSEWHERE: Record<string, string> = {
  "./mock-accel demo": "apps/cli/test/demo.test.ts",
  "./mock-accel test": ".ci/run",
  "bun run mock-accel cluster control-plane": "packages/cluster/test/control-plane.test.ts",
  "bun run mock-accel cluster up examples/demo.yaml": "apps/cli/test/cluster.test.ts",
  "bun run mock-accel cluster status": "apps/cli/test/cluster.test.ts",
  "bun run mock-accel cluster down": "apps/cli/test/cluster.test.ts",
  'bun run mock-accel cluster join examples/demo.yaml --kubeconfig "$HOME/.kube/config"': "apps/cli/test/cluster-join.test.ts",
  "bun run mock-accel cluster leave": "apps/cli/test/cluster-join.test.ts",
};

const lib = requirement("libvfio-user", libvfioUserInstalled(), "bash scripts/install-libvfio-user.sh");

function sh(line: string): { code: number | null; out: string } {
  const r = spawnSync("sh", ["-c", line], { cwd: root, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("README commands", () => {
  const commands = readmeCommands();

  it("has the two-command quick start", () => {
    expect(commands.slice(0, 2)).toEqual(["./mock-accel demo", "./mock-accel test"]);
  });

  it("every long-running command names an existing test that runs it", () => {
    for (const [cmd, file] of Object.entries(EXERCISED_ELSEWHERE)) {
      expect(commands, `README no longer shows '${cmd}'`).toContain(cmd);
      expect(existsSync(join(root, file)), `${file} (runs '${cmd}')`).toBe(true);
      expect(readFileSync(join(root, file), "utf8"), `${file} should run '${cmd}'`).toContain(cmd.replace(/^bun run /, ""));
    }
  });

  it("bun run codegen, as written, finds the committed files up to date", () => {
    expect(commands).toContain("bun run codegen");
    const r = sh("bun run codegen");
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/codegen: 0 file\(s\) written, \d+ already up to date/);
  });

  it.skipIf(lib.skip)("the topology commands run as written: up, then probe and qemu-args against it", async () => {
    assertAvailable(lib);
    const upLine = commands.find((c) => c.startsWith("bun run mock-accel up "))!;
    const runDir = /--run-dir (\S+)/.exec(upLine)![1]!;
    rmSync(runDir, { recursive: true, force: true });
    const up = spawn("sh", ["-c", `exec ${upLine}`], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    up.stdout.on("data", (d: Buffer) => (out += d.toString()));
    try {
      await untilOutput(up, `'${upLine}' to print "device(s) up"`, () => out.includes("device(s) up"), () => out, 30_000);
      const rest = commands.filter((c) => c.startsWith("bun run mock-accel ") && c !== upLine && !(c in EXERCISED_ELSEWHERE));
      expect(rest.length).toBeGreaterThanOrEqual(4);
      for (const line of rest) {
        const r = sh(line);
        // doctor exits 1 when an optional piece is missing; it must still run and report.
        if (line.endsWith(" doctor")) expect(r.out, line).toMatch(/\[(ok  |warn|MISS)\] bun: Bun /);
        else expect(r.code, `${line}\n${r.out}`).toBe(0);
        if (line.includes(" probe ")) expect(r.out).toContain("1de5:0001");
        if (line.includes("qemu-args") && !line.includes("libvirt")) expect(r.out).toContain(`${runDir}/node1/node1-n0-pf0.sock`);
        if (line.includes("libvirt")) expect(r.out).toContain("model='pcie-expander-bus'");
      }
    } finally {
      up.kill("SIGTERM");
      await new Promise((resolve) => up.on("exit", resolve));
    }
    expect(existsSync(join(runDir, "node1/node1-n0-pf0.sock"))).toBe(false);
  });
});
