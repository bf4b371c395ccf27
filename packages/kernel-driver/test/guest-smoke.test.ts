// The module in a real Debian guest (the kernel matching the headers it was built against,
// QEMU TCG, busybox initramfs), with no device present: it loads, creates its class, unloads
// without a trace, and the kernel log stays clean.
import { beforeAll, describe, expect, it } from "vitest";
import { assertAvailable } from "@mock-accel/testkit";
import { findSystemQemu, guestKernelLogProblems } from "@mock-accel/vm-harness";
import { runModuleGuest, type GuestRun } from "./guest.ts";
import { guestTools, kernelHeaders } from "./requirements.ts";
import { SYSFS_CLASS } from "@mock-accel/sysfs-client";
import { MODULE_NAME } from "../src/index.ts";

const SCRIPT = `
section insmod
insmod /${MODULE_NAME}.ko && echo insmod-ok
section class
ls -d /sys/class/${SYSFS_CLASS} && echo class-ok
section modules
cat /proc/modules | cut -d' ' -f1
section rmmod
rmmod ${MODULE_NAME} && echo rmmod-ok
section after
ls /sys/class | grep -c ${SYSFS_CLASS}
ls /sys/module | grep -c ${MODULE_NAME}
ls /sys/bus/pci/drivers | grep -c mock-accel
cat /proc/devices | grep -c mock-accel
section dmesg
dmesg
`;

describe.skipIf(kernelHeaders.skip || guestTools.skip)("mock_accel.ko in a Debian guest without devices", () => {
  let run: GuestRun;

  beforeAll(async () => {
    assertAvailable(kernelHeaders);
    assertAvailable(guestTools);
    const qemu = await findSystemQemu();
    if (!qemu) throw new Error("qemu-system-x86_64 not found: apt-get install qemu-system-x86");
    run = await runModuleGuest({ qemu, script: SCRIPT, timeoutMs: 180_000 });
  });

  it("boots and runs the script to the end", () => {
    expect(run.timedOut, run.serial).toBe(false);
    expect(run.exitCode, run.serial).toBe(0);
  });

  it("insmod succeeds and /sys/class/mock-accel exists", () => {
    expect(run.sections.insmod).toContain("insmod-ok");
    expect(run.sections.class).toContain("class-ok");
    expect(run.sections.modules!.split("\n")).toContain(MODULE_NAME);
  });

  it("rmmod leaves no class, module, driver or char major behind", () => {
    expect(run.sections.rmmod).toContain("rmmod-ok");
    expect(run.sections.after!.trim().split("\n")).toEqual(["0", "0", "0", "0"]);
  });

  it("the kernel log has no warning, BUG, oops or leak report", () => {
    expect(run.sections.dmesg).toContain(MODULE_NAME);
    expect(guestKernelLogProblems(run.sections.dmesg!)).toEqual([]);
  });
});
