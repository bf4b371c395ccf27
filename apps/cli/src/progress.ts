// Progress for long steps, so no wait is silent for more than a few seconds. On a terminal a
// quiet step shows one status line rewritten in place; anywhere else (a pipe, a log file) it
// gets a plain new line every `everyMs`, because `\r` in a file is noise, not progress.
import { spawn, spawnSync } from "node:child_process";

/** Where progress goes: a stream and whether it is a terminal (process.stdout by default). */
export interface ProgressSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface HeartbeatOptions {
  /** Longest quiet time before a status line (default 8 s: a line at least every 10 s). */
  everyMs?: number;
  indent?: string;
  out?: ProgressSink;
}

/** Seconds, one decimal: for "done in" and "still running" lines. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Lines of a long step, plus a status line naming the step whenever it has printed nothing for
 * `everyMs`. Call `stop()` when the step ends (it clears a terminal's status line).
 */
export class Heartbeat {
  private readonly started = performance.now();
  private readonly everyMs: number;
  private readonly indent: string;
  private readonly out: ProgressSink;
  private readonly timer: ReturnType<typeof setInterval>;
  private lastLine = performance.now();
  private last = "";
  private statusShown = false;

  constructor(
    private readonly what: string,
    opts: HeartbeatOptions = {},
  ) {
    this.everyMs = opts.everyMs ?? 8_000;
    this.indent = opts.indent ?? "      ";
    this.out = opts.out ?? process.stdout;
    // Checked every second (or faster for short intervals); a pipe gets a line only when quiet.
    const tick = Math.max(50, Math.min(1000, Math.floor(this.everyMs / 4)));
    this.timer = setInterval(() => this.tick(), tick);
  }

  /** Show one line of the step's own output (indented). */
  line(text: string): void {
    this.clearStatus();
    this.out.write(`${this.indent}${text}\n`);
    this.last = text.trim();
    this.lastLine = performance.now();
  }

  /** Remember `text` as what the step is doing, for the next status line, without printing it. */
  note(text: string): void {
    if (text.trim()) this.last = text.trim();
  }

  /** Output was shown some other way (relayed as is): not quiet now. */
  touch(): void {
    this.clearStatus();
    this.lastLine = performance.now();
  }

  /** How long the step has run. */
  elapsedMs(): number {
    return performance.now() - this.started;
  }

  stop(): void {
    clearInterval(this.timer);
    this.clearStatus();
  }

  private status(): string {
    const tail = this.last ? ` (last: ${this.last.slice(0, 80)})` : "";
    return `${this.indent}${this.what}: still running, ${Math.round(this.elapsedMs() / 1000)} s${tail}`;
  }

  private tick(): void {
    const quiet = performance.now() - this.lastLine;
    if (this.out.isTTY) {
      if (quiet < Math.min(this.everyMs, 2000)) return;
      this.out.write(`\r\x1b[K${this.status()}`);
      this.statusShown = true;
    } else if (quiet >= this.everyMs) {
      this.out.write(`${this.status()}\n`);
      this.lastLine = performance.now();
    }
  }

  private clearStatus(): void {
    if (!this.statusShown) return;
    this.out.write("\r\x1b[K");
    this.statusShown = false;
  }
}

/** While `work` runs, a status line naming `what` whenever it has been quiet for `everyMs`. */
export async function withHeartbeat<T>(what: string, work: (beat: Heartbeat) => Promise<T>, opts: HeartbeatOptions = {}): Promise<T> {
  const beat = new Heartbeat(what, opts);
  try {
    return await work(beat);
  } finally {
    beat.stop();
  }
}

export interface RunShownOptions extends HeartbeatOptions {
  cwd?: string;
  /** Show the command's own lines as they come (default); otherwise only status lines. */
  showOutput?: boolean;
}

/**
 * Run a command, showing its stdout and stderr lines indented as they come, then
 * "<what>: done in N s". Throws with everything it printed when it fails.
 */
export async function runShown(what: string, cmd: string, args: string[], opts: RunShownOptions = {}): Promise<void> {
  const out = opts.out ?? process.stdout;
  const indent = opts.indent ?? "      ";
  const all: string[] = [];
  const started = performance.now();
  const code = await withHeartbeat(
    what,
    (beat) =>
      new Promise<number>((resolve, reject) => {
        const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
        const onData = (partial: { text: string }) => (b: Buffer) => {
          const lines = (partial.text + b.toString()).split("\n");
          partial.text = lines.pop() ?? "";
          for (const l of lines) emit(l);
        };
        const emit = (l: string) => {
          all.push(l);
          if (opts.showOutput !== false && l.trim() !== "") beat.line(l);
        };
        const partials = [{ text: "" }, { text: "" }];
        child.stdout.on("data", onData(partials[0]!));
        child.stderr.on("data", onData(partials[1]!));
        child.on("error", reject);
        child.on("close", (status) => {
          for (const p of partials) if (p.text) emit(p.text);
          resolve(status ?? -1);
        });
      }),
    { ...opts, out, indent },
  );
  if (code !== 0) throw new Error(`${what} failed (${cmd} ${args.join(" ")}, exit ${code}):\n${all.join("\n")}`);
  out.write(`${indent}${what}: done in ${seconds(performance.now() - started)}\n`);
}

/**
 * Run a command whose output passes through unchanged; resolves to its exit status. On a
 * terminal it has the terminal (and its own live display); elsewhere its output is relayed and
 * a status line naming `what` is added whenever it has been quiet for `everyMs` (e.g. a test
 * runner loading its projects before it prints anything).
 */
export async function runRelayed(
  what: string,
  cmd: string,
  args: string[],
  opts: HeartbeatOptions & { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<number | null> {
  const out = opts.out ?? process.stdout;
  if (out.isTTY) return spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: "inherit" }).status;
  return withHeartbeat(
    what,
    (beat) =>
      new Promise<number | null>((resolve, reject) => {
        const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
        child.stdout.on("data", (b: Buffer) => (beat.touch(), out.write(b.toString())));
        child.stderr.on("data", (b: Buffer) => (beat.touch(), process.stderr.write(b)));
        child.on("error", reject);
        child.on("close", (status) => resolve(status));
      }),
    { ...opts, out },
  );
}
