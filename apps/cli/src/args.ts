// What every subcommand does with its arguments: parse with node's parseArgs, answer --help,
// and turn bad usage into one line on stderr and exit code 2. Commands declare their options
// and help text; this module owns the behaviour so they all fail the same way.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { EXIT_USAGE } from "./command.ts";
import { HOST_TRANSPORTS } from "@mock-accel/server";
import type { Transport } from "@mock-accel/topology";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Thrown for bad usage after parsing (a wrong value); `runUsage` prints it as one line. */
export class UsageError extends Error {}

export interface CommandSpec<O extends Options> {
  /** Subcommand name, used as the prefix of error lines ("mock-accel up: ..."). */
  name: string;
  options: O;
  help: string;
  /** Exactly how many positionals, and what they are (for the error line). */
  positionals?: { count: number; what: string };
}

type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ options: O; allowPositionals: true }>>;

/** Parsed arguments, or the exit code to return (0 after --help, 2 after bad usage). */
export function parseCommand<O extends Options>(spec: CommandSpec<O>, argv: string[]): Parsed<O> | number {
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs({ args: argv, options: spec.options, allowPositionals: true });
  } catch (err) {
    // node's message goes on to advise `--` quoting; the first sentence names the problem.
    console.error(`mock-accel ${spec.name}: ${(err as Error).message.split(". ")[0]} (see --help)`);
    return EXIT_USAGE;
  }
  if ((parsed.values as Record<string, unknown>).help === true) {
    console.log(spec.help);
    return 0;
  }
  const want = spec.positionals ?? { count: 0, what: "no arguments" };
  if (parsed.positionals.length !== want.count) {
    console.error(`mock-accel ${spec.name}: expected ${want.what} (see --help)`);
    return EXIT_USAGE;
  }
  return parsed;
}

/** Runs `body`, turning a UsageError into one line on stderr and exit code 2. */
export async function runUsage(name: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`mock-accel ${name}: ${err.message}`);
      return EXIT_USAGE;
    }
    throw err;
  }
}

export function parseTransport(value: string | undefined): Transport {
  const found = HOST_TRANSPORTS.find((t) => t === value);
  if (found === undefined) throw new UsageError(`--transport must be ${HOST_TRANSPORTS.join(" or ")}, not '${value}'`);
  return found;
}

/** Columns padded to their widest cell, two spaces apart; `indent` prefixes every line. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], indent = ""): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: readonly string[]) => `${indent}${r.map((c, i) => c.padEnd(widths[i]!)).join("  ")}`.trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
