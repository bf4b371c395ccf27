// QEMU's own vfio-user client (vfio-user-pci, QEMU >= 10.1) realizes our devices: it negotiates,
// reads config space and the region table, and shows the PF and the VF on its PCI bus. No guest
// boots here (-S); the guest end to end lives in the e2e tests.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertAvailable, requirement } from "@mock-accel/testkit";
import { VfioUserClient } from "../src/client/vfio-user-client.ts";
import { buildDeviceConfig } from "../src/device/device-config.ts";
import { REG } from "../src/generated/registers.ts";
import { VfioUserHost } from "../src/transports/vfio-user/host.ts";
import { mockAccelCacheDir } from "../src/transports/vfio-user/library-path.ts";
import { libvfioUser } from "./requirements.ts";
import { DEVICE_ID_MAGIC_U32 } from "./device-id.ts";

/**
 * A QEMU with vfio-user-pci, looked for where scripts/install-qemu-vfio-user.sh leaves one:
 * $QEMU, its private prefix, the system's. Asks about that device only (`-device help` aborts
 * on mixed installs).
 */
function findQemu(): string | null {
  const system = spawnSync("sh", ["-c", "command -v qemu-system-x86_64"], { encoding: "utf8" }).stdout.trim();
  for (const q of [process.env.QEMU, join(mockAccelCacheDir(), "qemu-vfio-user", "bin", "qemu-system-x86_64"), system]) {
    if (!q || !existsSync(q)) continue;
    const help = spawnSync(q, ["-device", "vfio-user-pci,help"], { encoding: "utf8" });
    if (help.status === 0 && help.stdout.includes("socket")) return q;
  }
  return null;
}
const foundQemu = findQemu();
const haveQemu = requirement("QEMU with vfio-user-pci (>= 10.1)", foundQemu !== null, "scripts/install-qemu-vfio-user.sh (or set QEMU=)");

/** Run `qemu` halted with the devices, ask the monitor for `info pci`, quit; returns its output. */
function qemuInfoPci(qemu: string, sockets: string[]): Promise<{ code: number | null; out: string }> {
  const devices = sockets.flatMap((path, i) => [
    "-device",
    JSON.stringify({ driver: "vfio-user-pci", socket: { path, type: "unix" }, id: `mock${i}` }),
  ]);
  const child = spawn(qemu, ["-M", "q35", "-nodefaults", "-display", "none", "-accel", "tcg", "-m", "128", "-S", "-serial", "none", "-monitor", "stdio", ...devices], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  // The monitor reads its commands in order once the machine is realized.
  child.stdin.end("info pci\nquit\n");
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  return new Promise((resolve) =>
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    }),
  );
}

describe.skipIf(haveQemu.skip || libvfioUser.skip)("QEMU vfio-user-pci against VfioUserHost", () => {
  let dir: string;
  let host: VfioUserHost;
  beforeAll(async () => {
    assertAvailable(haveQemu);
    assertAvailable(libvfioUser);
    dir = mkdtempSync(join(tmpdir(), "vfu-qemu-"));
    host = await VfioUserHost.start();
  });
  afterAll(async () => {
    await host?.close();
    if (dir) rmSync(dir, { recursive: true, force: true }); // unset when a requirement failed
  });

  it("QEMU realizes a PF and a VF from our sockets, and the devices listen again after QEMU quits", async () => {
    const pf = await host.addDevice({ socketPath: join(dir, "pf.sock"), kind: "pf", config: buildDeviceConfig({ kind: "pf", uuid: "q-pf", totalVfs: 1 }) });
    const vf = await host.addDevice({ socketPath: join(dir, "vf.sock"), kind: "vf", config: buildDeviceConfig({ kind: "vf", uuid: "q-vf", vfIndex: 0 }) });
    const seen: string[] = [];
    host.on("client", (e) => seen.push(`${e.socketPath}:${e.connected}`));

    const c = await VfioUserClient.connect(pf.socketPath);
    await c.bar0Write32(REG.STATUS.offsetBytes, 0x5);
    c.close();

    const { code, out } = await qemuInfoPci(foundQemu!, [pf.socketPath, vf.socketPath]);
    expect(code, out).toBe(0);
    expect(out).toMatch(/Class 4608: PCI device 1de5:0001[\s\S]*?BAR0: 32 bit memory[\s\S]*?id "mock0"/);
    expect(out).toMatch(/Class 4608: PCI device 1de5:0002[\s\S]*?BAR0: 32 bit memory[\s\S]*?id "mock1"/);
    expect(seen).toContain(`${pf.socketPath}:true`);

    // QEMU is gone: both devices listen again. QEMU reset the PF while realizing it, so STATUS
    // is back to its reset value; what survives a disconnect is tested without a reset.
    for (const d of [pf, vf]) {
      const again = await VfioUserClient.connect(d.socketPath);
      expect(await again.bar0Read32(REG.DEVICE_ID.offsetBytes)).toBe(DEVICE_ID_MAGIC_U32);
      again.close();
    }
  });
});
