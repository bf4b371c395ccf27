// The hand-written register masks must match the spec: the server's generated field table is
// the spec's word (the client's generated attributes carry no field masks yet).
import { describe, expect, test } from "vitest";
import { STATUS_ALLOCATED } from "@mock-accel/sysfs-client";
import { STATUS_FIELDS } from "../../server/src/generated/registers.ts";

describe("STATUS_ALLOCATED", () => {
  test("is STATUS.ALLOCATED's mask from spec/registers.yaml", () => {
    expect(BigInt(STATUS_ALLOCATED)).toBe(STATUS_FIELDS.ALLOCATED.mask);
  });
});
