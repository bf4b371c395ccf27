import { defineProject } from "vitest/config";
// Guests boot under TCG: one boot per transport runs every check, so a file takes minutes,
// not seconds. Files run one after the other (two QEMUs on two cores only slow each other).
export default defineProject({
  test: {
    name: "e2e",
    include: ["test/**/*.test.ts"],
    testTimeout: 300_000,
    hookTimeout: 600_000,
    fileParallelism: false,
  },
});
