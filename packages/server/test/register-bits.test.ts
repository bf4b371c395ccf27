// The client's register masks (from its generated field tables) must equal the server's: both
// come from the spec, through two different emitters.
import { describe, expect, test } from "vitest";
import { STATUS_ALLOCATED } from "@mock-accel/sysfs-client";
import { STATUS_FIELDS } from "../src/generated/registers.ts";

describe("STATUS_ALLOCATED", () => {
  test("is STATUS.ALLOCATED's mask from spec/registers.yaml", () => {
    expect(BigInt(STATUS_ALLOCATED)).toBe(STATUS_FIELDS.ALLOCATED.mask);
  });
});
