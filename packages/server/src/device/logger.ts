// The logging surface the device model and transports write to. Callers pass their own (the
// CLI's `-v` decides the level); the device never prints on its own.
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

/** A logger writing `[prefix] level: message` lines to stderr, dropping messages below `level`. */
export function createConsoleLogger(level: LogLevel = "info", prefix = "mock-accel"): Logger {
  const at = (l: Exclude<LogLevel, "silent">) =>
    RANK[l] < RANK[level] ? () => {} : (message: string) => console.error(`[${prefix}] ${l}: ${message}`);
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** A logger that drops everything. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A logger that keeps every line in memory; tests assert on what a device logged. */
export class MemoryLogger implements Logger {
  readonly lines: { level: Exclude<LogLevel, "silent">; message: string }[] = [];
  debug(message: string): void { this.lines.push({ level: "debug", message }); }
  info(message: string): void { this.lines.push({ level: "info", message }); }
  warn(message: string): void { this.lines.push({ level: "warn", message }); }
  error(message: string): void { this.lines.push({ level: "error", message }); }
  /** Lines at `level` whose message contains `text`. */
  find(text: string, level?: Exclude<LogLevel, "silent">): string[] {
    return this.lines.filter((l) => (level === undefined || l.level === level) && l.message.includes(text)).map((l) => l.message);
  }
}
