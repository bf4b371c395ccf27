import { defineProject } from "vitest/config";
// Kernel builds and guest boots each want both cores: run this package's files one at a time.
export default defineProject({
  test: { name: "kernel-driver", include: ["test/**/*.test.ts"], testTimeout: 240_000, hookTimeout: 240_000, fileParallelism: false },
});
