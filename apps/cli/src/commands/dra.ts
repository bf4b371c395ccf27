// `mock-accel dra run | manifests`: the reference DRA driver (apps/dra-driver). The driver
// package owns its flags so its image entry point (apps/dra-driver/src/main.ts) and this
// command behave the same.
import { draCommand } from "@mock-accel/dra-driver";
import type { CommandModule } from "../command.ts";

export const command: CommandModule = {
  run: (argv) => draCommand(argv),
};
