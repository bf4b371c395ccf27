// The driver writes through the shared @mock-accel/logger, so tests and the CLI can capture or
// silence it: `[dra] level: message` lines on stderr.
import { atLevel, createConsoleLogger, type Logger } from "@mock-accel/logger";

export { MemoryLogger, silentLogger, type Logger } from "@mock-accel/logger";

export const consoleLogger: Logger = createConsoleLogger("debug", "dra");

/** `dra run --verbosity`: 0 keeps warnings and errors, 1 and up everything. */
export function leveledLogger(base: Logger, verbosity: number): Logger {
  return atLevel(base, verbosity >= 1 ? "debug" : "warn");
}
