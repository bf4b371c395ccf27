// The contract every `mock-accel` subcommand module fulfils.
export interface CommandModule {
  /** Runs the command with the arguments after its name; resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}

/** Exit code for bad flags or arguments (one-line error on stderr). */
export const EXIT_USAGE = 2;
