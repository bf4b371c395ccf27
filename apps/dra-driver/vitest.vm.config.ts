import { defineProject } from "vitest/config";
import project, { CLUSTER_VM_FILES } from "./vitest.config.ts";

// One worker and the default group order: vitest runs these files in its last group, one at a
// time after every other file (see apps/cli/vitest.vm.config.ts).
export default defineProject({
  resolve: project.resolve,
  test: { name: "dra-driver-vm", include: CLUSTER_VM_FILES, testTimeout: 60_000, hookTimeout: 240_000, fileParallelism: false },
});
