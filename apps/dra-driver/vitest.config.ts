import { defineProject } from "vitest/config";
export default defineProject({ test: { name: "dra-driver", include: ["test/**/*.test.ts"], testTimeout: 60_000 } });
