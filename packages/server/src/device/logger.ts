// The logging surface the device model and transports write to: the shared @mock-accel/logger
// (the DRA driver writes through the same one). Callers pass their own (the CLI's `-v` decides
// the level); the device never prints on its own.
export { createConsoleLogger, MemoryLogger, prefixed, silentLogger, type Logger, type LogLevel } from "@mock-accel/logger";
