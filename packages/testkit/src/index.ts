// Test-suite helpers shared by every package: whether a real tool is present, and what to do
// when it is not. On a laptop a missing tool skips the test with the command that installs it;
// under CI=true nothing skips, the test fails and names what is missing.
import { readFileSync } from "node:fs";

export const isCI = process.env.CI === "true" || process.env.CI === "1";

export interface Requirement {
  /** True when the test may run. */
  available: boolean;
  /** True when the test should be skipped (never under CI). */
  skip: boolean;
  /** What is missing and how to install it. */
  reason: string;
}

/**
 * Decide whether tests needing `what` can run. `present` is the check's result; `install`
 * is the command a user runs to fix it. Prints one line when the tool is missing.
 */
export function requirement(what: string, present: boolean, install: string): Requirement {
  const reason = `${what} not found; install it with: ${install}`;
  if (!present) {
    if (isCI) console.error(`[testkit] CI=true: ${reason} (tests that need it will fail)`);
    else console.warn(`[testkit] skipping: ${reason}`);
  }
  return { available: present, skip: !present && !isCI, reason };
}

/** Throw inside a test when a requirement is missing under CI, so the test fails loudly. */
export function assertAvailable(req: Requirement): void {
  if (!req.available) throw new Error(req.reason);
}

/**
 * Polls `fn` until it returns a value other than undefined (errors count as "not yet"), for
 * state another process reaches in its own time (an API server, a controller). Throws after
 * `timeoutMs`, naming what it waited for and the last error.
 */
export async function eventually<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000, intervalMs = 250): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A child process whose output a test reads. */
interface OutputSource {
  stdout?: NodeJS.ReadableStream | null;
  stderr?: NodeJS.ReadableStream | null;
  once(event: "exit", listener: (code: number | null, signal: string | null) => void): unknown;
  off(event: "exit", listener: (code: number | null, signal: string | null) => void): unknown;
}

/**
 * Resolves as soon as `ready()` is true, checked each time `child` prints (attach the listeners
 * that collect its output first, so they have run by then): the line a server prints once it
 * serves. Rejects when the child exits first or after `timeoutMs`, with `describe()` (e.g. the
 * output so far) in the message.
 */
export function untilOutput(child: OutputSource, what: string, ready: () => boolean, describe: () => string = () => "", timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const finish = (err?: Error) => {
      clearTimeout(timer);
      child.stdout?.off("data", check);
      child.stderr?.off("data", check);
      child.off("exit", onExit);
      if (err) reject(err);
      else resolve();
    };
    const check = () => {
      if (ready()) finish();
    };
    const onExit = (code: number | null, signal: string | null) => finish(new Error(`${what}: the process exited (${signal ?? `code ${code}`}) first\n${describe()}`));
    const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${describe()}`)), timeoutMs);
    child.stdout?.on("data", check);
    child.stderr?.on("data", check);
    child.once("exit", onExit);
    check();
  });
}

/** utime + stime of a process so far, in clock ticks (fields 14 and 15 of /proc/<pid>/stat; USER_HZ is 100 on Linux). */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The fields after the command name, which may hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}
