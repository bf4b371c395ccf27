// The userspace header is usable from plain C and gives the ioctl numbers it documents (the
// numbers TypeScript users hard-code).
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { assertAvailable } from "@mock-accel/testkit";
import { buildIoctlClient } from "../src/index.ts";
import { gcc } from "./requirements.ts";

describe.skipIf(gcc.skip)("include/uapi/mock_accel.h", () => {
  it("compiles in a -Wall -Wextra -Werror static program and gives the documented ABI", () => {
    assertAvailable(gcc);
    const bin = buildIoctlClient();
    try {
      const r = spawnSync(bin, ["abi"], { encoding: "utf8" });
      expect(r.stdout).toBe("version 2\nSTATUS 0x8004d701\nPASSPHRASE 0xc120d702\nsizeof 288\n");
    } finally {
      rmSync(dirname(bin), { recursive: true, force: true });
    }
  });
});
