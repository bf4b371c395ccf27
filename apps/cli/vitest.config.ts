import { defineProject } from "vitest/config";

// The files that bring up whole clusters of TCG guests. They run in the "cli-vm" project
// (vitest.vm.config.ts), one at a time after every other file, so no two clusters share the
// two cores: beside each other a node needed over 300 s to start a Pod that takes 20 s alone.
export const CLUSTER_VM_FILES = ["test/demo.test.ts", "test/cluster.test.ts", "test/cluster-join.test.ts"];

export default defineProject({ test: { name: "cli", include: ["test/**/*.test.ts"], exclude: CLUSTER_VM_FILES, testTimeout: 60_000 } });
