// Runs an example container's script on the host the way the container would run it: its
// `/dev` replaced by a temporary folder holding a file per device node, the given environment
// only. Waits for the report's end line, then stops it with SIGTERM as the kubelet would.
import { DEV_DIR } from "@mock-accel/sysfs-client";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { LOG_PREFIX } from "../src/example-pods/generate-pods.ts";

const BUSYBOX = spawnSync("sh", ["-c", "command -v busybox"], { encoding: "utf8" }).stdout.trim();
const list = BUSYBOX === "" ? undefined : spawnSync(BUSYBOX, ["--list"], { encoding: "utf8" });
/** The applets the workload image links (node-image's busybox): the script's env, grep, sort, sed, sleep. */
const APPLETS = list?.status === 0 ? list.stdout.split("\n").map((l) => l.trim()).filter((l) => l !== "" && l !== "busybox") : [];
/** busybox is what the workload image runs; a host without it runs the script in its own sh and tools. */
export const SHELL: readonly string[] = APPLETS.length > 0 ? [BUSYBOX, "sh"] : ["sh"];

export interface ScriptRun {
  /** What it printed before the end line, device paths given back as the container sees them. */
  log: string;
  /** Its exit status after SIGTERM (null: killed by the signal, the trap did not run). */
  exitCode: number | null;
}

export async function runReportScript(script: string, devNodes: readonly string[], env: Record<string, string>): Promise<ScriptRun> {
  const dir = mkdtempSync(join(tmpdir(), "example-pods-dev-"));
  const dev = join(dir, "dev");
  let pid: number | undefined;
  try {
    mkdirSync(dev);
    // With busybox, PATH holds only its applets, as in the image.
    const bin = join(dir, "bin");
    mkdirSync(bin);
    for (const applet of APPLETS) symlinkSync(BUSYBOX, join(bin, applet));
    // A device the glob must not match beside the ones it must.
    for (const node of [...devNodes, `${DEV_DIR}/null`]) writeFileSync(join(dev, basename(node)), "");
    const hostScript = script.replaceAll(`${DEV_DIR}/`, `${dev}/`);
    if (hostScript === script) throw new Error(`the script names no ${DEV_DIR}/ path to redirect`);
    const child = spawn(SHELL[0]!, [...SHELL.slice(1), "-c", hostScript], {
      env: { PATH: APPLETS.length > 0 ? bin : (process.env.PATH ?? "/usr/bin:/bin"), ...env }, stdio: ["ignore", "pipe", "inherit"], detached: true,
    });
    pid = child.pid;
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    let out = "";
    child.stdout.setEncoding("utf8");
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: string) => {
        out += chunk;
        if (out.includes(`${LOG_PREFIX} end\n`)) resolve();
      });
      void exited.then((code) => reject(new Error(`the script exited (${code}) before its end line; it printed:\n${out}`)));
      child.on("error", reject);
    });
    if (child.exitCode !== null) throw new Error(`the script exited (${child.exitCode}) after its end line instead of sleeping`);
    child.kill("SIGTERM");
    return { log: out.replaceAll(`${dev}/`, `${DEV_DIR}/`), exitCode: await exited };
  } finally {
    try {
      // The script's sleep outlives it here (in a container the PID namespace ends it).
      if (pid !== undefined) process.kill(-pid, "SIGKILL");
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
