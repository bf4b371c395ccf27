// `mock-accel codegen [--spec FILE] [--root DIR] [--check] [--quiet]`: the same generator as
// `bun run codegen`, so both entry points behave identically.
import type { CommandModule } from "../command.ts";
import { runCodegen } from "@mock-accel/codegen";

export const command: CommandModule = {
  run: (argv) => runCodegen(argv),
};
