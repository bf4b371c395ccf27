import { defineProject } from "vitest/config";

// Tests import the package by its name, so they exercise its `exports`. Under Bun that is the
// "bun" condition (src/); under Node (MOCK_ACCEL_RUNTIME=node, scripts/run-tests.ts) it is the
// built dist/, so the published build is what gets tested. Vite does not know the "bun"
// condition by itself, hence the list; the rest are Vite's server defaults.
const isBun = typeof (process.versions as Record<string, string | undefined>).bun === "string";
const conditions = [...(isBun ? ["bun"] : []), "module", "node", "development|production"];

export default defineProject({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: isBun ? ["bun"] : [] } },
  test: { name: "sysfs-client", include: ["test/**/*.test.ts"], testTimeout: 60_000 },
});
