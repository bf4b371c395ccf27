import { defineConfig } from "vitest/config";
import project from "./vitest.config.ts";
// `bun run test:cluster`: the on-demand two-VM cluster test (test-cluster/), outside the
// default run; resolved as the package's own tests are.
export default defineConfig({
  resolve: project.resolve,
  test: { name: "dra-driver-cluster", include: ["test-cluster/**/*.test.ts"], testTimeout: 900_000, hookTimeout: 1_200_000 },
});
