// Test helper shared by the serve tests: start a server process (the CLI or the compiled
// binary) and wait for its "serving ..." start line.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { join } from "node:path";

export const serverDir = join(import.meta.dirname, "..");

export interface ServerProcess {
  child: ChildProcessWithoutNullStreams;
  startLine: string;
  stderr: () => string;
  exit: Promise<number | null>;
}

/** Start a server process and wait for its start line on stdout. */
export async function startServer(cmd: string[], cwd = serverDir): Promise<ServerProcess> {
  const child = spawn(cmd[0]!, cmd.slice(1), { cwd, stdio: "pipe" });
  let out = "";
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const startLine = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.startsWith("serving "));
      if (line) resolve(line);
    });
    void exit.then((code) => reject(new Error(`server exited with ${code} before serving: ${err}`)));
  });
  return { child, startLine, stderr: () => err, exit };
}
