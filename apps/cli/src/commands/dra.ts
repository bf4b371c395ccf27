// `mock-accel dra run | manifests`: the reference DRA driver (apps/dra-driver). The driver
// package owns its flags so its image entry point (apps/dra-driver/src/main.ts) and this
// command behave the same.
// Relative import until apps/cli/package.json lists "@mock-accel/dra-driver": "workspace:*".
import { draCommand } from "../../../dra-driver/src/dra-command.ts";
import type { CommandModule } from "../command.ts";

export const command: CommandModule = {
  run: (argv) => draCommand(argv),
};
