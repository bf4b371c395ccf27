import { defineProject } from "vitest/config";
export default defineProject({ test: { name: "yaml-source", include: ["test/**/*.test.ts"] } });
