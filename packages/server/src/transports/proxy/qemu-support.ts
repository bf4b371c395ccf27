// Which QEMU can run x-pci-proxy-dev. The device exists since QEMU 6.0 (built for KVM
// targets); Debian's 10.0.13 and 11.1.3 builds crash with SIGSEGV right after SET_IRQFD,
// before the first config read, on q35 and pc alike (checked here, see docs/transports.md), while 7.2
// runs it. Those QEMUs have vfio-user-pci (10.1+), which serves the same device.
import { spawnSync } from "node:child_process";

export interface QemuVersion {
  major: number;
  minor: number;
  micro: number;
  /** The whole first line of `--version`. */
  text: string;
}

/** First QEMU version known to crash with x-pci-proxy-dev. */
export const PROXY_CRASHES_FROM = { major: 10, minor: 0 } as const;
/** First QEMU version with x-pci-proxy-dev. */
export const PROXY_EXISTS_FROM = { major: 6, minor: 0 } as const;

/** Parses `qemu-system-x86_64 --version` output ("QEMU emulator version 7.2.22 (Debian …)"). */
export function parseQemuVersion(output: string): QemuVersion | null {
  const line = output.split("\n")[0] ?? "";
  const m = /version (\d+)\.(\d+)(?:\.(\d+))?/.exec(line);
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), micro: Number(m[3] ?? 0), text: line.trim() };
}

/** Why this QEMU version cannot serve the proxy transport, or null when it can. */
export function proxyUnsupportedReason(v: QemuVersion): string | null {
  const at = (x: { major: number; minor: number }) => v.major * 1000 + v.minor >= x.major * 1000 + x.minor;
  const version = `${v.major}.${v.minor}.${v.micro}`;
  if (!at(PROXY_EXISTS_FROM)) return `QEMU ${version} has no x-pci-proxy-dev (added in 6.0)`;
  if (at(PROXY_CRASHES_FROM)) {
    return `QEMU ${version} crashes with x-pci-proxy-dev (SIGSEGV after SET_IRQFD on 10.0 and later); use --transport vfio-user, which this QEMU supports from 10.1 on`;
  }
  return null;
}

export interface ProxyQemuCheck {
  qemu: string;
  version: QemuVersion | null;
  /** Null when the proxy transport can run on this QEMU. */
  problem: string | null;
}

/** Asks `qemu` its version and whether it has x-pci-proxy-dev. */
export function checkProxyQemu(qemu: string): ProxyQemuCheck {
  const v = spawnSync(qemu, ["--version"], { encoding: "utf8" });
  if (v.error || v.status !== 0) {
    return { qemu, version: null, problem: `${qemu} --version failed: ${v.error?.message ?? v.stderr.trim()}` };
  }
  const version = parseQemuVersion(v.stdout);
  if (version === null) return { qemu, version, problem: `${qemu} --version printed no version: ${v.stdout.trim()}` };
  const reason = proxyUnsupportedReason(version);
  if (reason !== null) return { qemu, version, problem: reason };
  // Ask about this one device: `-device help` aborts on hosts with two QEMU installs.
  const d = spawnSync(qemu, ["-device", "x-pci-proxy-dev,help"], { encoding: "utf8" });
  if (d.status !== 0 || !/\bfd=/.test(d.stdout)) {
    return { qemu, version, problem: `${qemu} (${version.text}) was built without x-pci-proxy-dev (QEMU's multiprocess option)` };
  }
  return { qemu, version, problem: null };
}
