// The harness as its users drive it: pack files into an initramfs, boot Debian's kernel under
// TCG, get the script's output and exit status back; a hung guest is killed at the timeout.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { assertAvailable, requirement } from "@mock-accel/testkit";
import {
  bootGuest,
  buildInitramfs,
  fetchDebianKernel,
  findSystemQemu,
  findVfioUserQemu,
  guestKernelLogProblems,
  hasVfioUserPci,
  hostExecutableFiles,
  INSTALL_QEMU_SCRIPT,
  installedHeaderVersions,
  qemuArgs,
} from "../src/index.ts";

const has = (cmd: string, args = ["--version"]) => spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
const packTools = requirement("busybox-static and cpio", existsSync("/bin/busybox") && has("cpio"), "apt-get install busybox-static cpio");
const bootTools = requirement(
  "qemu-system-x86_64, linux-headers-amd64 (names the guest kernel) and apt-get",
  has("qemu-system-x86_64") && installedHeaderVersions().length > 0 && has("apt-get"),
  "apt-get install qemu-system-x86 linux-headers-amd64",
);

function listArchive(path: string): string[] {
  const r = spawnSync("sh", ["-c", `gzip -dc "$1" | cpio -t --quiet`, "sh", path], { encoding: "utf8" });
  return r.stdout.trim().split("\n");
}

describe.skipIf(packTools.skip)("buildInitramfs", () => {
  it("packs busybox, /init, the script and the caller's files (copied or literal)", async () => {
    assertAvailable(packTools);
    const src = join(mkdtempSync(join(tmpdir(), "harness-src-")), "payload.bin");
    writeFileSync(src, "payload");
    const out = await buildInitramfs({ files: { "/opt/payload.bin": src, "/etc/motd": { content: "hi\n" } }, init: "true" });
    try {
      const names = listArchive(out);
      for (const n of ["init", "test.sh", "bin/busybox", "opt/payload.bin", "etc/motd"]) expect(names).toContain(n);
    } finally {
      rmSync(dirname(out), { recursive: true, force: true });
      rmSync(dirname(src), { recursive: true, force: true });
    }
  });

  it("refuses relative guest paths and missing sources, naming them", async () => {
    await expect(buildInitramfs({ files: { "etc/x": { content: "" } }, init: "true" })).rejects.toThrow('"etc/x": guest paths must be absolute');
    await expect(buildInitramfs({ files: { "/x": "/nonexistent/file" }, init: "true" })).rejects.toThrow("source /nonexistent/file not found");
  });
});

describe("qemuArgs", () => {
  it("uses TCG with no default devices and never KVM", () => {
    const args = qemuArgs({ qemu: "q", kernel: "k", initramfs: "i", devices: ["pci-testdev"] });
    expect(args.slice(0, 2)).toEqual(["-accel", "tcg"]);
    expect(args).toContain("-nodefaults");
    expect(args.join(" ")).not.toMatch(/kvm/);
    expect(args.slice(-2)).toEqual(["-device", "pci-testdev"]);
    expect(qemuArgs({ qemu: "q", kernel: "k", initramfs: "i", accel: "tcg,thread=single" }).slice(0, 2)).toEqual(["-accel", "tcg,thread=single"]);
  });

  it("refuses a non-TCG accelerator", async () => {
    await expect(bootGuest({ qemu: "q", kernel: "k", initramfs: "i", accel: "kvm" })).rejects.toThrow('accel "kvm" is not TCG');
  });
});

describe("guestKernelLogProblems", () => {
  it("flags warnings, BUGs, oopses and leak reports, not benign lines", () => {
    const log = [
      "[ 1.0] PCI: Using host bridge windows from ACPI; if necessary, use \"pci=nocrs\" and report a bug",
      "[ 2.0] mock_accel: module verification failed: signature and/or required key missing - tainting kernel",
      "[ 3.0] WARNING: CPU: 0 PID: 1 at drivers/base/core.c:100 device_del+0x1/0x2",
      "[ 4.0] BUG: kernel NULL pointer dereference, address: 0000000000000000",
      "[ 5.0] unreferenced object 0xffff888003c0e000 (size 64):",
    ].join("\n");
    expect(guestKernelLogProblems(log).map((l) => l.slice(0, 14))).toEqual(["[ 3.0] WARNING", "[ 4.0] BUG: ke", "[ 5.0] unrefer"]);
  });
});

describe.skipIf(bootTools.skip || packTools.skip)("bootGuest with Debian's kernel", () => {
  it("runs the script and returns its output and exit status", async () => {
    assertAvailable(bootTools);
    const qemu = (await findSystemQemu())!;
    const kernel = await fetchDebianKernel();
    expect(existsSync(kernel.vmlinuz)).toBe(true);
    // Debian's xz bzImage is unpacked to an ELF vmlinux, booted through QEMU's PVH entry.
    expect(kernel.image.endsWith("/vmlinux")).toBe(true);
    const initramfs = await buildInitramfs({ init: 'echo "hello from $(uname -r)"\ncat /proc/cmdline\nexit 3\n' });
    try {
      const r = await bootGuest({ qemu, kernel: kernel.image, initramfs, append: "mock_accel_test=1", timeoutMs: 180_000 });
      expect(r.timedOut, r.serial).toBe(false);
      expect(r.exitCode, r.serial).toBe(3);
      expect(r.scriptOutput).toContain(`hello from ${kernel.version}`);
      expect(r.scriptOutput).toContain("mock_accel_test=1");
      expect(r.scriptStartMs).not.toBeNull();
    } finally {
      rmSync(dirname(initramfs), { recursive: true, force: true });
    }
  });

  it("hands inherited descriptors to QEMU as fd 3, 4, ... (as x-pci-proxy-dev's fd=N needs)", async () => {
    assertAvailable(bootTools);
    const qemu = (await findSystemQemu())!;
    const kernel = await fetchDebianKernel();
    const initramfs = await buildInitramfs({ init: "true\n" });
    const file = join(dirname(initramfs), "fd-payload");
    writeFileSync(file, "x");
    const fd = openSync(file, "r");
    try {
      // -add-fd fails at startup unless fd 3 is open in QEMU.
      const withFd = await bootGuest({ qemu, kernel: kernel.image, initramfs, inheritFds: [fd], extraArgs: ["-add-fd", "fd=3,set=1"], timeoutMs: 180_000 });
      expect(withFd.exitCode, withFd.stderr + withFd.serial).toBe(0);
      const without = await bootGuest({ qemu, kernel: kernel.image, initramfs, extraArgs: ["-add-fd", "fd=3,set=1"], timeoutMs: 180_000 });
      expect(without.exitCode).toBeNull();
      expect(without.stderr).toMatch(/fd/);
    } finally {
      closeSync(fd);
      rmSync(dirname(initramfs), { recursive: true, force: true });
    }
  });

  it("runs a dynamically linked host program packed with its libraries", async () => {
    assertAvailable(bootTools);
    const qemu = (await findSystemQemu())!;
    const kernel = await fetchDebianKernel();
    const files = await hostExecutableFiles("/usr/bin/stat", "/opt/stat");
    expect(Object.keys(files).some((p) => p.includes("libc.so"))).toBe(true);
    const initramfs = await buildInitramfs({ files, init: "/opt/stat --version | head -1\n" });
    try {
      const r = await bootGuest({ qemu, kernel: kernel.image, initramfs, timeoutMs: 180_000 });
      expect(r.exitCode, r.serial).toBe(0);
      expect(r.scriptOutput).toMatch(/^stat \(GNU coreutils\)/m);
    } finally {
      rmSync(dirname(initramfs), { recursive: true, force: true });
    }
  });

  // The JIT check: JavaScriptCore turns its JIT off on a CPU it cannot generate code for, and
  // the guest's JavaScript would then run in the interpreter, ~5x slower again under TCG.
  // numberOfDFGCompiles answers 1000000 when the JIT is off; with concurrent compilation off the
  // hot function's DFG compile happens before the call returns, so the count is not a race.
  it("runs a `bun build --compile` executable with JavaScriptCore's JIT on (needs -cpu max under TCG)", async () => {
    assertAvailable(bootTools);
    const qemu = (await findSystemQemu())!;
    const kernel = await fetchDebianKernel();
    const dir = mkdtempSync(join(tmpdir(), "harness-bun-"));
    writeFileSync(join(dir, "hello.ts"), [
      'import { numberOfDFGCompiles } from "bun:jsc";',
      "function hot(n: number): number { let s = 0; for (let i = 0; i < n; i++) s = (s + i * 7) % 1000003; return s; }",
      "let sum = 0;",
      "for (let i = 0; i < 200; i++) sum += hot(1000);",
      'console.log(`bun ${process.versions.bun} in ${require("node:os").release()}, ${numberOfDFGCompiles(hot)} DFG compiles (${sum})`);',
      "",
    ].join("\n"));
    const built = spawnSync("bun", ["build", "--compile", join(dir, "hello.ts"), "--outfile", join(dir, "hello")], { encoding: "utf8" });
    expect(built.status, built.stderr).toBe(0);
    const initramfs = await buildInitramfs({
      files: await hostExecutableFiles(join(dir, "hello"), "/bin/hello"),
      init: "BUN_JSC_useConcurrentJIT=0 /bin/hello\n",
    });
    try {
      const r = await bootGuest({ qemu, kernel: kernel.image, initramfs, timeoutMs: 180_000 });
      expect(r.exitCode, r.serial).toBe(0);
      expect(r.scriptOutput).toContain(`bun ${Bun.version} in ${kernel.version}`);
      const dfg = /, (\d+) DFG compiles/.exec(r.scriptOutput);
      expect(dfg, r.scriptOutput).not.toBeNull();
      expect(Number(dfg![1]), "JavaScriptCore's JIT is off in the guest (1000000 means off)").toBeGreaterThanOrEqual(1);
      expect(Number(dfg![1]), "JavaScriptCore's JIT is off in the guest (1000000 means off)").toBeLessThan(1000);
    } finally {
      rmSync(dirname(initramfs), { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("kills a guest that outlives the timeout and reports no exit status", async () => {
    assertAvailable(bootTools);
    const qemu = (await findSystemQemu())!;
    const kernel = await fetchDebianKernel();
    const initramfs = await buildInitramfs({ init: "sleep 600\n" });
    try {
      const r = await bootGuest({ qemu, kernel: kernel.image, initramfs, timeoutMs: 3_000 });
      expect(r.timedOut).toBe(true);
      expect(r.exitCode).toBeNull();
    } finally {
      rmSync(dirname(initramfs), { recursive: true, force: true });
    }
  });
});

const systemQemu = await findSystemQemu();
const systemQemuVersion = systemQemu ? (/version (\d+)\./.exec(spawnSync(systemQemu, ["--version"], { encoding: "utf8" }).stdout)?.[1] ?? null) : null;
const olderSystemQemu = requirement(
  "a system qemu-system-x86_64 older than 10 (Debian 12 ships 7.2)",
  systemQemuVersion !== null && Number(systemQemuVersion) < 10,
  "apt-get install qemu-system-x86",
);
const vfioUserQemu = await findVfioUserQemu({ install: false });
const fetchedQemu = requirement("a QEMU with vfio-user-pci", vfioUserQemu !== null, `bash ${INSTALL_QEMU_SCRIPT}`);

describe("finding QEMU", () => {
  it.skipIf(olderSystemQemu.skip)("the system QEMU of Debian 12 (7.2) has no vfio-user-pci", async () => {
    assertAvailable(olderSystemQemu);
    expect(await hasVfioUserPci(systemQemu!)).toBe(false);
  });

  it.skipIf(fetchedQemu.skip)("the installer's QEMU has vfio-user-pci and is 10.1 or later", async () => {
    assertAvailable(fetchedQemu);
    expect(await hasVfioUserPci(vfioUserQemu!)).toBe(true);
    expect(spawnSync(vfioUserQemu!, ["--version"], { encoding: "utf8" }).stdout).toMatch(/QEMU emulator version (1[1-9]|10\.[1-9])/);
  });
});
