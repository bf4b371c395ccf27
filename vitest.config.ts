import { defineConfig } from "vitest/config";

// One vitest run over every workspace; each package's own vitest.config.ts names its project.
export default defineConfig({
  test: {
    // Each package's vitest.config.ts names its project; apps/*/vitest.vm.config.ts hold the
    // files that bring up whole clusters of guests.
    projects: ["packages/*", "apps/*", "apps/*/vitest.vm.config.ts"],
    // Two cores: at most two test files at a time, whatever their project. A project with one
    // worker (`fileParallelism: false`: e2e, kernel-driver, cli-vm, dra-driver-vm) goes into
    // vitest's last group, which runs its files one at a time after all the others, so a guest
    // booted there never shares the cores with another file's guests.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
