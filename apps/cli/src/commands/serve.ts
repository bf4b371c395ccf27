// `mock-accel serve [--transport vfio-user|proxy] [-v] [-u UUID] [-m SIZE] [--vf] [--total-vfs N]
// <socket-path>`: one device with the old C server's flags. The runner is shared with the compiled
// `mock-accel-server` (packages/server/src/serve).
import { runServe } from "@mock-accel/server";
import type { CommandModule } from "../command.ts";

export const command: CommandModule = {
  run: (argv) => runServe(argv, "mock-accel serve"),
};
