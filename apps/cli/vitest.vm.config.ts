import { defineProject } from "vitest/config";
import { CLUSTER_VM_FILES } from "./vitest.config.ts";

// Files that run alone: vitest puts a project with one worker (and the default group order)
// into its last group, which runs one file at a time after everything else.
export default defineProject({ test: { name: "cli-vm", include: CLUSTER_VM_FILES, testTimeout: 60_000, fileParallelism: false } });
