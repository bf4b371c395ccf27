import { defineConfig } from "vitest/config";

// One vitest run over every workspace; each package's own vitest.config.ts names its project.
export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*"],
    // Two cores: at most two test files at a time, whatever their project. The projects whose
    // files boot guests or build the kernel module (e2e, kernel-driver) also run their own files
    // one after the other (`fileParallelism: false` in their vitest.config.ts), so two guests
    // never starve each other; a file of another project may run beside one of theirs.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
