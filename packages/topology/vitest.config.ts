import { defineProject } from "vitest/config";
export default defineProject({ test: { name: "topology", include: ["test/**/*.test.ts"], testTimeout: 60_000 } });
