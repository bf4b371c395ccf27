// `mock-accel codegen [--spec FILE] [--root DIR] [--check] [--quiet]`: the same generator as
// `bun run codegen`, so both entry points behave identically.
import type { CommandModule } from "../command.ts";
// Relative until apps/cli/package.json lists @mock-accel/codegen (then: from "@mock-accel/codegen").
import { runCodegen } from "../../../../packages/codegen/src/cli.ts";

export const command: CommandModule = {
  run: (argv) => runCodegen(argv),
};
