// One long-running component (etcd, kube-apiserver, ...): started with its output in a log
// file, stopped with SIGTERM then SIGKILL. Where util-linux's setpriv is present the component
// also gets a parent-death signal, so a killed test runner or CLI leaves no process behind.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";

let setprivPath: string | null | undefined;
function setpriv(): string | null {
  if (setprivPath === undefined) {
    const found = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p));
    // --pdeathsig arrived in util-linux 2.33; check once rather than trusting the version.
    setprivPath = found && spawnSync(found, ["--pdeathsig", "KILL", "true"]).status === 0 ? found : null;
  }
  return setprivPath;
}

/** `command args` wrapped so the process is killed when its parent dies (where setpriv can). */
export function withParentDeathSignal(command: string, args: string[]): [string, string[]] {
  const wrap = setpriv();
  return wrap ? [wrap, ["--pdeathsig", "KILL", "--", command, ...args]] : [command, args];
}

export class ComponentProcess {
  readonly name: string;
  readonly logPath: string;
  private readonly child: ChildProcess;
  private exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  constructor(name: string, command: string, args: string[], logPath: string, env: NodeJS.ProcessEnv = process.env) {
    this.name = name;
    this.logPath = logPath;
    const fd = openSync(logPath, "a");
    const [cmd, argv] = withParentDeathSignal(command, args);
    try {
      this.child = spawn(cmd, argv, { stdio: ["ignore", fd, fd], env });
    } finally {
      closeSync(fd);
    }
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        this.exitCode = code ?? (signal ? 128 : null);
        resolve(this.exitCode);
      });
      this.child.once("error", () => {
        this.exitCode = 127;
        resolve(127);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The exit code once it has exited; undefined while it runs. */
  get exitStatus(): number | null | undefined {
    return this.exitCode;
  }

  /** The last lines of its log (for errors). */
  tail(lines = 15): string {
    try {
      return readFileSync(this.logPath, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  async stop(graceMs = 10_000): Promise<void> {
    if (this.exitCode !== undefined) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
