// The two static guest programs that call the driver's ioctls (the kernel driver's
// mock-accel-ioctl and the guest image's mock-accel-e2e) share their ioctl calls
// (kernel-driver/tools/mock_accel_user.h): run on the host against a file that is not a
// mock-accel device, both report the ioctl's failure by the same errno name.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { assertAvailable } from "@mock-accel/testkit";
import { buildIoctlClient } from "@mock-accel/kernel-driver";
import { helperProgram } from "@mock-accel/guest-image";
import { guestBuild } from "../src/requirements.ts";

describe.skipIf(guestBuild.skip)("guest programs", () => {
  it("mock-accel-ioctl and mock-accel-e2e name a refused ioctl's errno alike", async () => {
    assertAvailable(guestBuild);
    const helper = await helperProgram();
    const tool = buildIoctlClient();
    try {
      expect(spawnSync(helper, ["passphrase-errno", "/dev/null", "4"], { encoding: "utf8" }).stdout).toBe("errno ENOTTY\n");
      expect(spawnSync(tool, ["passphrase", "/dev/null", "4"], { encoding: "utf8" }).stdout).toBe("error ENOTTY\n");
      const missing = spawnSync(helper, ["status", "/nonexistent-device"], { encoding: "utf8" });
      expect([missing.status, missing.stderr]).toEqual([1, "open /nonexistent-device: No such file or directory\n"]);
    } finally {
      rmSync(dirname(tool), { recursive: true, force: true });
    }
  });
});
