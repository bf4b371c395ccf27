// Which QEMU the proxy transport accepts: 6.0 up to (not including) 10.0, where Debian's
// builds crash right after SET_IRQFD. Checked against the version strings QEMU prints and
// against the QEMU installed here.
import { spawnSync } from "node:child_process";
import { describe, expect, test } from "vitest";
import { assertAvailable, requirement } from "@mock-accel/testkit";
import { checkProxyQemu, parseQemuVersion, proxyUnsupportedReason } from "../src/transports/proxy/qemu-support.ts";

const v = (text: string) => {
  const parsed = parseQemuVersion(text);
  if (!parsed) throw new Error(`no version in ${text}`);
  return parsed;
};

describe("proxy QEMU support", () => {
  test("reads the version from --version output", () => {
    expect(v("QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright ...")).toMatchObject({ major: 7, minor: 2, micro: 22 });
    expect(v("QEMU emulator version 11.1.3 (Debian 1:11.1.3+ds-1)")).toMatchObject({ major: 11, minor: 1, micro: 3 });
    expect(parseQemuVersion("qemu-kvm: something else")).toBeNull();
  });

  test("accepts 6.0 to 9.x, refuses 10.0 and later naming vfio-user, refuses 5.x", () => {
    for (const ok of ["6.0.0", "7.2.22", "8.2.2", "9.2.0"]) expect(proxyUnsupportedReason(v(`QEMU emulator version ${ok}`)), ok).toBeNull();
    expect(proxyUnsupportedReason(v("QEMU emulator version 10.0.13"))).toMatch(/QEMU 10\.0\.13 crashes with x-pci-proxy-dev .*use --transport vfio-user/);
    expect(proxyUnsupportedReason(v("QEMU emulator version 11.1.3"))).toMatch(/crashes/);
    expect(proxyUnsupportedReason(v("QEMU emulator version 5.2.0"))).toMatch(/has no x-pci-proxy-dev \(added in 6\.0\)/);
  });

  const qemu = spawnSync("qemu-system-x86_64", ["--version"], { encoding: "utf8" });
  const installed = requirement("qemu-system-x86_64", qemu.status === 0, "apt-get install qemu-system-x86");
  test.skipIf(installed.skip)("the installed QEMU is judged by its real version and device list", () => {
    assertAvailable(installed);
    const check = checkProxyQemu("qemu-system-x86_64");
    const version = parseQemuVersion(qemu.stdout)!;
    expect(check.version).toEqual(version);
    if (version.major >= 10) expect(check.problem).toMatch(/crashes/);
    else expect(check.problem).toBeNull(); // Debian 12's 7.2 has x-pci-proxy-dev
  });

  test("a missing binary is a problem, not an exception", () => {
    expect(checkProxyQemu("/nonexistent/qemu").problem).toMatch(/\/nonexistent\/qemu --version failed/);
  });
});
