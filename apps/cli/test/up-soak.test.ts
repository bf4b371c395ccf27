// One `up` of the 12-device cluster under the soak of apps/cli/bench/soak.bench.ts, smaller:
// clean reconnects and hostile clients over eleven devices while the twelfth is read without
// pause from another process. Before the vfio-user worker stopped using bun:ffi's read.* and
// toArrayBuffer in its loop, this crashed the server within a few thousand connections (issue
// 17). MOCK_ACCEL_SOAK_RECONNECTS / MOCK_ACCEL_SOAK_HOSTILE change the counts.
import { describe, expect, it } from "vitest";
import { assertAvailable, requirement } from "@mock-accel/testkit";
import { libvfioUserInstalled } from "@mock-accel/server";
import bench from "../bench/soak.bench.ts";

const lib = requirement("libvfio-user", libvfioUserInstalled(), "bash scripts/install-libvfio-user.sh");

describe.skipIf(lib.skip)("up under a soak", () => {
  it("survives clean reconnects and hostile clients while another device is read", { timeout: 600_000 }, async () => {
    assertAvailable(lib);
    process.env.MOCK_ACCEL_SOAK_RECONNECTS ??= "15000";
    process.env.MOCK_ACCEL_SOAK_HOSTILE ??= "15000";
    const rows = await bench();
    const row = (metric: string) => rows.find((r) => r.metric === metric);
    expect(row("server survived")?.value, row("server survived")?.note).toBe(1);
    expect(row("observed device: reads/s during the soak")?.value).toBeGreaterThan(0);
    expect(row("after the soak: slowest device")?.value).toBeGreaterThan(0);
  });
});
