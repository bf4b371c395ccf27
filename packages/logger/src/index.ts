// The logging surface the device server, its transports and the DRA driver write to. Callers
// pass their own (a command's -v or --verbosity picks the level); library code never prints on
// its own. One format on stderr: `[prefix] level: message`.
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
type Level = Exclude<LogLevel, "silent">;

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

/** `base` without the messages below `level`. */
export function atLevel(base: Logger, level: LogLevel): Logger {
  const at = (l: Level) => (RANK[l] < RANK[level] ? () => {} : (message: string) => base[l](message));
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** A logger writing `[prefix] level: message` lines to stderr, dropping messages below `level`. */
export function createConsoleLogger(level: LogLevel = "info", prefix = "mock-accel"): Logger {
  const write = (l: Level) => (message: string) => console.error(`[${prefix}] ${l}: ${message}`);
  return atLevel({ debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") }, level);
}

/** `base` with `name: ` before every message (one device among many on a shared logger). */
export function prefixed(base: Logger, name: string): Logger {
  const at = (l: Level) => (message: string) => base[l](`${name}: ${message}`);
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** A logger that drops everything. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A logger that keeps every line in memory; tests assert on what a user would read. */
export class MemoryLogger implements Logger {
  private readonly entries: { level: Level; message: string }[] = [];
  debug(message: string): void { this.entries.push({ level: "debug", message }); }
  info(message: string): void { this.entries.push({ level: "info", message }); }
  warn(message: string): void { this.entries.push({ level: "warn", message }); }
  error(message: string): void { this.entries.push({ level: "error", message }); }
  /** Every line as `level: message`, in order. */
  get lines(): string[] {
    return this.entries.map((e) => `${e.level}: ${e.message}`);
  }
  /** Messages at `level` (any level when not given) that contain `text`. */
  find(text: string, level?: Level): string[] {
    return this.entries.filter((e) => (level === undefined || e.level === level) && e.message.includes(text)).map((e) => e.message);
  }
}
