// A minimal logger the driver writes through, so tests and the CLI can capture or silence it.
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const consoleLogger: Logger = {
  info: (m) => console.log(`[dra] ${m}`),
  warn: (m) => console.warn(`[dra] warning: ${m}`),
  error: (m) => console.error(`[dra] error: ${m}`),
};

/** `dra run --verbosity`: 0 keeps warnings and errors, 1 and up also the info lines. */
export function leveledLogger(base: Logger, verbosity: number): Logger {
  return verbosity >= 1 ? base : { info: () => {}, warn: (m) => base.warn(m), error: (m) => base.error(m) };
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };

/** Keeps every line; tests assert on what a user would read in the log. */
export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  info(m: string): void { this.lines.push(`info: ${m}`); }
  warn(m: string): void { this.lines.push(`warn: ${m}`); }
  error(m: string): void { this.lines.push(`error: ${m}`); }
}
