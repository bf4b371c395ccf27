import { defineConfig } from "vitest/config";

// One vitest run over every workspace; each package's own vitest.config.ts names its project.
export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*"],
    // Guest boots and kernel builds share two cores: run files one at a time per project
    // group rather than starving each other.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
