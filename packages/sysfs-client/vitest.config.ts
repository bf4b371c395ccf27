import { defineProject } from "vitest/config";
export default defineProject({ test: { name: "sysfs-client", include: ["test/**/*.test.ts"], testTimeout: 60_000 } });
