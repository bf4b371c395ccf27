// The README's main job, run exactly as the README says: `./mock-accel demo`. It must end with
// the devices seen from inside a real guest by the real kernel driver.
import { describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertAvailable, requirement } from "@mock-accel/testkit";
import { bootGuest, buildInitramfs, fetchDebianKernel, findVfioUserQemu } from "@mock-accel/vm-harness";
import { libvfioUserInstalled } from "@mock-accel/server";

const root = join(import.meta.dirname, "../../..");
const qemu = await findVfioUserQemu({ install: false });
const ready = requirement(
  "QEMU with vfio-user-pci, libvfio-user and kernel headers",
  qemu !== null && existsSync("/usr/src") && libvfioUserInstalled(),
  "bash scripts/setup-host.sh -v",
);

describe("./mock-accel demo", () => {
  it.skipIf(ready.skip)("sets up, serves demo.yaml, probes it, shows what the driver sees inside a real guest, and ends with a Pod's log in a cluster on that VM", () => {
    assertAvailable(ready);
    const r = spawnSync("./mock-accel", ["demo"], { cwd: root, encoding: "utf8", timeout: 1_500_000 });
    const out = r.stdout;
    expect(r.status, `${out}\n${r.stderr}`).toBe(0);
    for (let n = 1; n <= 8; n++) expect(out).toContain(`[${n}/8]`);
    // Output to a pipe: set-up's own lines shown as they come, what to expect before the long
    // steps, and no terminal-only `\r` updates.
    expect(out).toMatch(/^ {6}setup-host: (apt packages present|installing )/m);
    expect(out.match(/^ {6}expect /gm)).toHaveLength(5);
    expect(out).not.toContain("\r");
    // The closing command names the QEMU that has vfio-user-pci.
    expect(out).toContain(`\n${qemu} \\\n  -machine q35`);
    // Step 4: every device answered over its socket.
    expect(out).toMatch(/demo-n0-pf0 +1de5:0001 +memory 17179869184 bytes \(16 GiB\).*TotalVFs 2/);
    expect(out).toMatch(/demo-n1-pf0 +1de5:0001 +memory 34359738368 bytes \(32 GiB\)/);
    // Step 6: the guest's view, from the real driver through the typed client.
    const guest = out.slice(out.indexOf("[6/8]"), out.indexOf("[7/8]"));
    expect(guest).toMatch(/mock0 +PF +0000:11:00\.0 +1de5:0001 +0 +16Gi/);
    expect(guest).toMatch(/mock0_vf0 +VF +0000:11:00\.1 +1de5:0002 +0 +2Gi .* mock0/);
    expect(guest).toMatch(/mock0_vf1 +VF +0000:11:00\.2 +1de5:0002 +0 +2Gi .* mock0/);
    expect(guest).toMatch(/mock1 +PF +0000:21:00\.0 +1de5:0001 +1 +32Gi/);
    expect(guest).toContain("mock-accel.example.com/physFn: 0000:11:00.0 (string)");
    expect(guest).toContain("capacity mock-accel.example.com/memory: 2Gi");
    // The demo shuts its devices down: no socket it printed is left.
    const sockets = [...out.matchAll(/"path":"([^"]+\.sock)"/g)].map((m) => m[1]!);
    expect(sockets).toHaveLength(4);
    expect(sockets.filter((s) => existsSync(s))).toEqual([]);
    // Step 8 ends the demo: the example Pod's log names the physical function its claim got.
    const podLog = out.slice(out.indexOf("$ kubectl logs -n mock-accel-one-pf one-pf"));
    expect(podLog).toMatch(/^ {6}mock-accel: devices \/dev\/mock[01]$/m);
    expect(podLog).toMatch(/^ {6}mock-accel: env MOCK_ACCEL_UUID=[0-9a-f-]{36}$/m);
    expect(out.trimEnd().split("\n").pop()).toBe("      mock-accel: end");
  }, 1_500_000);

  it.skipIf(ready.skip)("the QEMU command it prints, pasted into a shell, attaches its --keep devices to a guest", async () => {
    assertAvailable(ready);
    const dir = mkdtempSync(join(tmpdir(), "demo-keep-"));
    const runDir = join(dir, "run");
    const demo = spawn("./mock-accel", ["demo", "--keep", "--no-setup", "--no-guest", "--run-dir", runDir], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const exited = new Promise<number | null>((resolve) => demo.on("close", resolve));
    try {
      demo.stdout.on("data", (b: Buffer) => (out += b.toString()));
      demo.stderr.on("data", (b: Buffer) => (out += b.toString()));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the demo never said its devices stay up:\n${out}`)), 180_000);
        demo.stdout.on("data", () => out.includes("Ctrl-C stops them") && (clearTimeout(timer), resolve()));
        void exited.then((code) => (clearTimeout(timer), reject(new Error(`the demo exited ${code}:\n${out}`))));
      });

      // The command exactly as printed: from its first line to the line with no continuation.
      const lines = out.slice(out.indexOf("Attach these devices")).split("\n");
      const first = lines.findIndex((l) => l.endsWith(" \\") && !l.startsWith(" "));
      const last = lines.findIndex((l, i) => i > first && !l.endsWith(" \\"));
      const command = lines.slice(first, last + 1).join("\n");
      expect(command).toMatch(/^\S*qemu-system-x86_64 \\\n/);
      expect(command.split(" ")[0]).toBe(qemu);
      expect(command).toContain(runDir);

      // A shell runs it with a kernel and initramfs appended, as a user adds their VM's disk.
      const pasted = join(dir, "qemu.sh");
      writeFileSync(pasted, `#!/bin/sh\n${command} "$@"\n`);
      chmodSync(pasted, 0o755);
      const kernel = await fetchDebianKernel();
      const initramfs = await buildInitramfs({
        outPath: join(dir, "initramfs.cpio.gz"),
        init: "for d in /sys/bus/pci/devices/*; do [ \"$(cat $d/vendor)\" = 0x1de5 ] && echo \"seen ${d##*/} $(cat $d/device) numa $(cat $d/numa_node)\"; done; true",
      });
      const boot = await bootGuest({ qemu: pasted, kernel: kernel.image, initramfs, machine: [], timeoutMs: 240_000 });
      const seen = boot.scriptOutput.split("\n").filter((l) => l.startsWith("seen ")).sort();
      expect(seen, `${boot.stderr}\n${boot.serial.slice(-2000)}`).toEqual([
        "seen 0000:11:00.0 0x0001 numa 0",
        "seen 0000:11:00.1 0x0002 numa 0",
        "seen 0000:11:00.2 0x0002 numa 0",
        "seen 0000:21:00.0 0x0001 numa 1",
      ]);
    } finally {
      demo.kill("SIGINT");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    }
    // Ctrl-C stopped the devices cleanly.
    expect(out).not.toContain("mock-accel demo:");
  }, 600_000);

  it("--help is true to what the demo does", () => {
    const r = spawnSync("bun", ["apps/cli/src/main.ts", "demo", "--help"], { cwd: root, encoding: "utf8" });
    expect(r.status).toBe(0);
    for (const flag of ["--keep", "--no-setup", "--no-guest", "--run-dir"]) expect(r.stdout).toContain(flag);
  });
});
