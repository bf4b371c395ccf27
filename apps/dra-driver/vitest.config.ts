import { fileURLToPath } from "node:url";
import { defineProject } from "vitest/config";
// The sysfs client exports its TypeScript sources only under the "bun" condition (dist/ is
// built for publishing); point Vite's resolver at the sources directly.
// The file that brings up a cluster of TCG guests runs in the "dra-driver-vm" project
// (vitest.vm.config.ts), alone after every other file: see apps/cli/vitest.config.ts.
export const CLUSTER_VM_FILES = ["test/vm-cluster.test.ts"];
const sysfsSource = (file: string) => fileURLToPath(new URL(`../../packages/sysfs-client/src/${file}`, import.meta.url));
export default defineProject({
  // Exact names: a prefix alias would turn the subpath export ./device-uuid into index.ts/device-uuid.
  resolve: {
    alias: [
      { find: /^@mock-accel\/sysfs-client$/, replacement: sysfsSource("index.ts") },
      { find: /^@mock-accel\/sysfs-client\/device-uuid$/, replacement: sysfsSource("device-uuid.ts") },
    ],
  },
  test: { name: "dra-driver", include: ["test/**/*.test.ts"], exclude: CLUSTER_VM_FILES, testTimeout: 60_000, hookTimeout: 240_000 },
});
