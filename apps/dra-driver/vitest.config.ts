import { fileURLToPath } from "node:url";
import { defineProject } from "vitest/config";
// The sysfs client exports its TypeScript sources only under the "bun" condition (dist/ is
// built for publishing); point Vite's resolver at the sources directly.
const sysfsClient = fileURLToPath(new URL("../../packages/sysfs-client/src/index.ts", import.meta.url));
export default defineProject({
  resolve: { alias: { "@mock-accel/sysfs-client": sysfsClient } },
  test: { name: "dra-driver", include: ["test/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 240_000 },
});
