// Run a command to completion and collect its output (the harness's only process helper).
import { spawn } from "node:child_process";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Written to the command's standard input, which is then closed (default: no input). */
  input?: string;
  /** Killed (SIGTERM) after this long. Default: no limit. */
  timeoutMs?: number;
}

export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // stdin is always a pipe (closed at once when there is no input): a tool that reads it
    // sees end-of-file instead of waiting.
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"], timeout: opts.timeoutMs });
    child.stdin.on("error", () => {}); // a command that exits without reading its input
    child.stdin.end(opts.input ?? "");
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Run and throw (naming the command and its stderr, and `hint`: what to install) unless it exits 0. */
export async function runOk(cmd: string, args: string[], opts: RunOptions & { hint?: string } = {}): Promise<string> {
  const hint = opts.hint ? ` (${opts.hint})` : "";
  let r: RunResult;
  try {
    r = await run(cmd, args, opts);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new Error(`${cmd} not found${hint}`);
    throw err;
  }
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}${hint}: ${(r.stderr || r.stdout).trim().split("\n").slice(-5).join("\n")}`);
  }
  return r.stdout;
}
