// `mock-accel launch` as a user runs it: the system's QEMU 7.2 boots a guest with a proxy
// device the launcher serves and wires (connected socket inherited as fd=3), and the guest's
// PCI bus shows it. On a QEMU where x-pci-proxy-dev crashes, launch refuses and names vfio-user.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { assertAvailable, eventually } from "@mock-accel/testkit";
import { buildInitramfs, fetchDebianKernel, EXIT_MARKER } from "@mock-accel/vm-harness";
import { findDebianKernelHeaders } from "@mock-accel/kernel-driver";
import { guestBuild, libvfioUser, proxyQemu, proxyQemuPath, vfioUserQemu, vfioUserQemuPath } from "../src/requirements.ts";

const REPO = join(import.meta.dirname, "..", "..", "..");
const ONE_DEVICE = join(REPO, "examples", "one-device.yaml");
const cleanup: string[] = [];
afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

const GUEST_SCRIPT = 'for d in /sys/bus/pci/devices/*; do echo "pci $(basename $d) $(cat $d/vendor) $(cat $d/device) $(cat $d/class) $(cat $d/numa_node)"; done\n';
const APPEND = "console=ttyS0 rdinit=/init panic=-1 quiet no_timer_check";

async function guest(): Promise<{ kernel: string; initramfs: string }> {
  const kernel = await fetchDebianKernel({ version: findDebianKernelHeaders()[0]!.version });
  const initramfs = await buildInitramfs({ init: GUEST_SCRIPT });
  cleanup.push(dirname(initramfs));
  return { kernel: kernel.image, initramfs };
}

/** The mock devices the guest listed: [vendor, device, class, numa_node] each. */
const mockDevices = (stdout: string) =>
  stdout
    .split("\n")
    .filter((l) => l.startsWith("pci ") && l.includes("0x1de5"))
    .map((l) => l.trim().split(" ").slice(2));

function launch(args: string[], timeoutMs: number) {
  return spawnSync("bun", [join(REPO, "apps", "cli", "src", "main.ts"), "launch", ...args], { encoding: "utf8", timeout: timeoutMs, stdio: ["ignore", "pipe", "pipe"] });
}

describe("mock-accel launch", () => {
  test("--dry-run prints the proxy wiring: fd 3 behind a pcie-pci-bridge, one socket per CPU", () => {
    const r = launch([ONE_DEVICE, "--transport", "proxy", "--dry-run"], 30_000);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/-accel tcg,thread=single /);
    expect(r.stdout).toMatch(/-device pcie-pci-bridge,id=br-n0-0,bus=rp-n0-0 /);
    expect(r.stdout).toMatch(/-device x-pci-proxy-dev,id=vm0-n0-pf0,fd=3,bus=br-n0-0,addr=1\.0/);
    expect(r.stdout).toMatch(/-object memory-backend-memfd,id=mem-n0,size=1024M,share=on/);
    expect(r.stdout).toMatch(/-smp 1,sockets=1,cores=1,threads=1/);
  });

  test.skipIf(guestBuild.skip || proxyQemu.skip)("boots the system QEMU with a proxy device the guest sees on its PCI bus", async () => {
    assertAvailable(guestBuild);
    assertAvailable(proxyQemu);
    const { kernel, initramfs } = await guest();
    const runDir = mkdtempSync(join(tmpdir(), "launch-"));
    cleanup.push(runDir);
    const r = launch(
      [ONE_DEVICE, "--transport", "proxy", "--qemu", proxyQemuPath!, "--kernel", kernel, "--initrd", initramfs, "--append", APPEND, "--run-dir", runDir, "--", "-no-reboot"],
      150_000,
    );
    expect(r.stdout, r.stderr).toContain(`${EXIT_MARKER} 0`);
    expect(r.status, r.stderr).toBe(0);
    expect(mockDevices(r.stdout)).toEqual([["0x1de5", "0x0001", "0x120000", "0"]]);
    expect(r.stderr).toMatch(/serving 1 device\(s\) over proxy/);
    // Nothing left behind: the launcher removed the VM's sockets when QEMU exited.
    expect(spawnSync("find", [runDir, "-type", "s"], { encoding: "utf8" }).stdout.trim()).toBe("");
  }, 200_000);

  test.skipIf(guestBuild.skip || proxyQemu.skip)("--external wires the sockets a separate `mock-accel up` serves", async () => {
    assertAvailable(guestBuild);
    assertAvailable(proxyQemu);
    const { kernel, initramfs } = await guest();
    const runDir = mkdtempSync(join(tmpdir(), "launch-"));
    cleanup.push(runDir);
    const up = spawn("bun", [join(REPO, "apps", "cli", "src", "main.ts"), "up", ONE_DEVICE, "--transport", "proxy", "--run-dir", runDir], { stdio: "ignore" });
    try {
      const sock = join(runDir, "vm0", "vm0-n0-pf0.sock");
      await eventually(`mock-accel up to serve ${sock}`, () => existsSync(sock) || undefined, 15_000, 50);
      const r = launch(
        [ONE_DEVICE, "--transport", "proxy", "--external", "--qemu", proxyQemuPath!, "--kernel", kernel, "--initrd", initramfs, "--append", APPEND, "--run-dir", runDir, "--", "-no-reboot"],
        150_000,
      );
      expect(r.status, r.stderr).toBe(0);
      expect(mockDevices(r.stdout)).toEqual([["0x1de5", "0x0001", "0x120000", "0"]]);
      // The devices belong to `up`: still served after QEMU left.
      expect(existsSync(sock)).toBe(true);
    } finally {
      up.kill("SIGTERM");
      await new Promise((resolve) => up.once("exit", resolve));
    }
  }, 200_000);

  test("--external without a running `up` says what to start", () => {
    const r = launch([ONE_DEVICE, "--transport", "vfio-user", "--external", "--run-dir", mkdtempSync(join(tmpdir(), "launch-"))], 30_000);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no device served at .*vm0-n0-pf0\.sock: start `mock-accel up .*one-device\.yaml --transport vfio-user` first/);
  });

  test.skipIf(guestBuild.skip || vfioUserQemu.skip || libvfioUser.skip)("boots the vfio-user QEMU with a vfio-user-pci device the guest sees", async () => {
    for (const r of [guestBuild, vfioUserQemu, libvfioUser]) assertAvailable(r);
    const { kernel, initramfs } = await guest();
    const runDir = mkdtempSync(join(tmpdir(), "launch-"));
    cleanup.push(runDir);
    const r = launch(
      [ONE_DEVICE, "--transport", "vfio-user", "--qemu", vfioUserQemuPath!, "--kernel", kernel, "--initrd", initramfs, "--append", APPEND, "--run-dir", runDir, "--", "-no-reboot"],
      150_000,
    );
    expect(r.stdout, r.stderr).toContain(`${EXIT_MARKER} 0`);
    expect(r.status, r.stderr).toBe(0);
    expect(mockDevices(r.stdout)).toEqual([["0x1de5", "0x0001", "0x120000", "0"]]);
  }, 200_000);

  test.skipIf(proxyQemu.skip)("refuses vfio-user on a QEMU without vfio-user-pci and names the install script", () => {
    assertAvailable(proxyQemu);
    const r = launch([ONE_DEVICE, "--transport", "vfio-user", "--qemu", proxyQemuPath!, "--run-dir", mkdtempSync(join(tmpdir(), "launch-"))], 60_000);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/has no vfio-user-pci \(QEMU >= 10\.1\): run scripts\/install-qemu-vfio-user\.sh/);
  });

  test.skipIf(vfioUserQemu.skip)("refuses the proxy on a QEMU where it crashes (10.0 and later) and names vfio-user", () => {
    assertAvailable(vfioUserQemu);
    const r = launch([ONE_DEVICE, "--transport", "proxy", "--qemu", vfioUserQemuPath!, "--run-dir", mkdtempSync(join(tmpdir(), "launch-"))], 60_000);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/QEMU 1\d\.\d+\.\d+ crashes with x-pci-proxy-dev .*use --transport vfio-user/);
  });
});
