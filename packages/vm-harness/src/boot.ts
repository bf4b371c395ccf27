// Boot a guest under QEMU TCG with a kernel and initramfs, collect the serial console and the
// exit status the initramfs's /init reports. KVM is never used: /dev/kvm hangs on these
// machines. `-nodefaults` keeps TCG from spending half a minute in VGA/NIC option ROMs.
import { spawn } from "node:child_process";
import { EXIT_MARKER, SCRIPT_START_MARKER } from "./initramfs.ts";

export interface BootOptions {
  /** qemu-system-x86_64 (or the wrapper scripts/install-qemu-vfio-user.sh prints). */
  qemu: string;
  /** Kernel image (vmlinuz). */
  kernel: string;
  initramfs: string;
  /** Kernel command line added after the harness's (console=ttyS0 rdinit=/init panic=-1 quiet no_timer_check). */
  append?: string;
  /**
   * Machine, memory and CPU arguments; default `-machine q35 -m 512M -smp 1`. Give your own
   * (e.g. a NUMA layout) to replace them entirely.
   */
  machine?: string[];
  /**
   * The -accel value; default "tcg". Only TCG variants are accepted (e.g. "tcg,thread=single",
   * which the proxy transport needs): /dev/kvm hangs on these machines.
   */
  accel?: string;
  /**
   * CPU model; default "max" (every feature TCG emulates: AVX2 and friends, which a
   * `bun build --compile` executable needs; the default qemu64 model gets SIGILL).
   */
  cpu?: string;
  /** Each becomes `-device <value>` (JSON or key=value form), in order, after `extraArgs`. */
  devices?: string[];
  /** Any other QEMU arguments (expanders, root ports, memory backends), before `devices`. */
  extraArgs?: string[];
  /**
   * Descriptors QEMU inherits as fd 3, 4, ... (e.g. connected sockets for x-pci-proxy-dev,
   * referred to as `fd=3`).
   */
  inheritFds?: number[];
  /** Kill QEMU after this long (default 120 s). */
  timeoutMs?: number;
  /** Called with each chunk of serial output as it arrives. */
  onOutput?: (chunk: string) => void;
}

export interface BootResult {
  /** Everything QEMU wrote to the serial console (stdout). */
  serial: string;
  /** QEMU's stderr. */
  stderr: string;
  /** The guest script's exit status, or null when it never reported one (crash, timeout). */
  exitCode: number | null;
  qemuExitCode: number | null;
  timedOut: boolean;
  /** Wall time from spawning QEMU until it exited. */
  durationMs: number;
  /** Wall time from spawning QEMU until /init started the script (null if it never did). */
  scriptStartMs: number | null;
  /** The serial output between the script-start and exit markers. */
  scriptOutput: string;
  /** The full QEMU command line, for error messages. */
  argv: string[];
}

export const DEFAULT_MACHINE = ["-machine", "q35", "-m", "512M", "-smp", "1"];

export function qemuArgs(opts: BootOptions): string[] {
  // no_timer_check: under TCG on a busy host the kernel's IO-APIC timer check can time out and
  // panic ("IO-APIC + timer doesn't work"); the emulated timer is fine, the check is just slow.
  const append = ["console=ttyS0", "rdinit=/init", "panic=-1", "quiet", "no_timer_check", opts.append ?? ""].join(" ").trim();
  return [
    "-accel", opts.accel ?? "tcg",
    "-nodefaults", "-display", "none", "-serial", "stdio", "-monitor", "none",
    "-no-reboot",
    ...(opts.machine ?? DEFAULT_MACHINE),
    "-cpu", opts.cpu ?? "max",
    "-kernel", opts.kernel,
    "-initrd", opts.initramfs,
    "-append", append,
    ...(opts.extraArgs ?? []),
    ...(opts.devices ?? []).flatMap((d) => ["-device", d]),
  ];
}

/** Boot and wait for the guest to power off (or the timeout). Never throws for guest failures. */
export function bootGuest(opts: BootOptions): Promise<BootResult> {
  if (opts.accel !== undefined && !/^tcg(,|$)/.test(opts.accel)) {
    return Promise.reject(new Error(`bootGuest: accel "${opts.accel}" is not TCG (KVM hangs on these machines; use "tcg" or "tcg,<options>")`));
  }
  const argv = qemuArgs(opts);
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(opts.qemu, argv, {
      stdio: ["ignore", "pipe", "pipe", ...(opts.inheritFds ?? [])],
    });
    let serial = "";
    let stderr = "";
    let scriptStartMs: number | null = null;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout!.on("data", (b: Buffer) => {
      const chunk = b.toString("latin1");
      serial += chunk;
      if (scriptStartMs === null && serial.includes(SCRIPT_START_MARKER)) scriptStartMs = performance.now() - started;
      opts.onOutput?.(chunk);
    });
    child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${opts.qemu}: ${err.message}`));
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const clean = serial.replace(/\r/g, "");
      const exit = new RegExp(`^${EXIT_MARKER} (\\d+)$`, "m").exec(clean);
      const startIdx = clean.indexOf(SCRIPT_START_MARKER);
      const startLineEnd = startIdx < 0 ? -1 : clean.indexOf("\n", startIdx);
      const endIdx = exit ? exit.index : clean.length;
      resolve({
        serial: clean,
        stderr,
        exitCode: exit ? Number(exit[1]) : null,
        qemuExitCode: code,
        timedOut,
        durationMs: performance.now() - started,
        scriptStartMs,
        scriptOutput: startLineEnd < 0 ? "" : clean.slice(startLineEnd + 1, endIdx),
        argv: [opts.qemu, ...argv],
      });
    });
  });
}
