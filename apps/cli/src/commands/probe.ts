// `mock-accel probe <socket> [--json]`: what a device socket offers, without booting a VM.
// The work lives in @mock-accel/server (src/client/probe.ts) next to the vfio-user client.
import { runProbe } from "@mock-accel/server";
import type { CommandModule } from "../command.ts";

export const command: CommandModule = {
  run: (argv) => runProbe(argv),
};
