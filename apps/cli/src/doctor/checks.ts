// What `mock-accel doctor` looks at. Each check reports what it found and, when something is
// missing, the one command that fixes it. Checks only look; they never install.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { cacheDir } from "@mock-accel/vm-harness";
import { findLibvfioUserInstallation, LibraryNotFoundError, LIBVFIO_USER_INSTALL_COMMAND, parseQemuVersion, proxyUnsupportedReason } from "@mock-accel/server";
import { join } from "node:path";
import { findKubernetes, installCommand, pinnedVersions } from "@mock-accel/cluster";

export type CheckStatus = "ok" | "warn" | "missing";

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  /** Command that fixes a missing or degraded item. */
  fix?: string;
  /** For a QEMU: each mock transport, whether this QEMU can serve it, and why not. */
  transports?: TransportSupport[];
}

export interface TransportSupport {
  transport: "vfio-user" | "proxy";
  device: "vfio-user-pci" | "x-pci-proxy-dev";
  serves: boolean;
  /** Why not, when it cannot. */
  reason?: string;
}

export const repoRoot = join(import.meta.dirname, "../../../..");


function run(cmd: string, args: string[], timeoutMs = 10_000): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: timeoutMs, stdio: ["ignore", "pipe", "pipe"] });
  return { ok: r.status === 0, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

function which(cmd: string): string | null {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}

export function checkBun(): CheckResult {
  return { name: "bun", status: "ok", detail: `Bun ${Bun.version}` };
}

export function checkLibvfioUser(): CheckResult {
  // The server's own search (LIBVFIO_USER_PATH, the install prefix, the system path), so doctor
  // reports exactly what `serve` would find.
  try {
    return { name: "libvfio-user", status: "ok", detail: findLibvfioUserInstallation().libraryPath };
  } catch (err) {
    if (!(err instanceof LibraryNotFoundError)) throw err;
    const tried = err.tried.map((t) => t.candidate.path).join(", ");
    return { name: "libvfio-user", status: "missing", detail: `not found (tried ${tried})`, fix: LIBVFIO_USER_INSTALL_COMMAND };
  }
}

export interface QemuInfo {
  path: string;
  version: string;
  vfioUserPci: boolean;
  proxyDev: boolean;
  /** The proxy transport runs on this version (the server's own rule; see docs/transports.md). */
  proxyWorks: boolean;
  /** Why the proxy transport does not run on this version, when it does not. */
  proxyProblem: string | null;
}

export function inspectQemu(path: string): QemuInfo | null {
  if (!existsSync(path)) return null;
  const v = run(path, ["--version"]);
  if (!v.ok) return null;
  const parsed = parseQemuVersion(v.out);
  const version = parsed ? `${parsed.major}.${parsed.minor}.${parsed.micro}` : "unknown";
  // `-device help` aborts when a foreign QEMU sees the system's modules: ask per device.
  const has = (dev: string) => run(path, ["-device", `${dev},help`]).out.includes("options:");
  const proxyDev = has("x-pci-proxy-dev");
  const proxyProblem = !proxyDev ? "no x-pci-proxy-dev device" : parsed === null ? "unknown QEMU version" : proxyUnsupportedReason(parsed);
  return { path, version, vfioUserPci: has("vfio-user-pci"), proxyDev, proxyWorks: proxyProblem === null, proxyProblem };
}

/** Which mock transports `q` can serve; the one it cannot says why. */
export function transportSupport(q: QemuInfo): TransportSupport[] {
  return [
    q.vfioUserPci
      ? { transport: "vfio-user", device: "vfio-user-pci", serves: true }
      : { transport: "vfio-user", device: "vfio-user-pci", serves: false, reason: "no vfio-user-pci device (QEMU 10.1 and later have it)" },
    q.proxyProblem === null
      ? { transport: "proxy", device: "x-pci-proxy-dev", serves: true }
      : { transport: "proxy", device: "x-pci-proxy-dev", serves: false, reason: q.proxyProblem },
  ];
}

export function qemuCandidates(): string[] {
  const found = [process.env.QEMU, which("qemu-system-x86_64"), join(cacheDir(), "qemu-vfio-user/bin/qemu-system-x86_64")];
  return [...new Set(found.filter((p): p is string => typeof p === "string" && p !== "" && existsSync(p)))];
}

export function checkQemu(): CheckResult[] {
  const infos = qemuCandidates().map(inspectQemu).filter((q): q is QemuInfo => q !== null);
  const results: CheckResult[] = infos.map((q) => {
    const transports = transportSupport(q);
    const serves = transports.filter((t) => t.serves).map((t) => `--transport ${t.transport} (${t.device})`);
    const cannot = transports.filter((t) => !t.serves).map((t) => `NOT --transport ${t.transport}: ${t.reason}`);
    return {
      name: "qemu",
      status: serves.length > 0 ? "ok" : "warn",
      detail: `QEMU ${q.version} at ${q.path}: serves ${serves.length ? serves.join(", ") : "neither mock transport"}; ${cannot.join("; ") || "both"}`,
      transports,
    };
  });
  if (!infos.some((q) => q.vfioUserPci))
    results.push({ name: "qemu vfio-user-pci", status: "missing", detail: "no QEMU >= 10.1 with vfio-user-pci", fix: "bash scripts/install-qemu-vfio-user.sh -v" });
  if (!infos.some((q) => q.proxyWorks))
    results.push({ name: "qemu x-pci-proxy-dev", status: "warn", detail: "no QEMU 6.0..9.x with a working x-pci-proxy-dev (the proxy transport)", fix: "apt-get install qemu-system-x86   # Debian 12 ships 7.2" });
  return results;
}

export function checkKernelHeaders(): CheckResult {
  const dirs = existsSync("/usr/src") ? readdirSync("/usr/src").filter((d) => /^linux-headers-.*-amd64$/.test(d)) : [];
  if (dirs.length > 0) return { name: "kernel headers", status: "ok", detail: dirs.map((d) => `/usr/src/${d}`).join(", ") };
  return { name: "kernel headers", status: "missing", detail: "no /usr/src/linux-headers-*-amd64 (needed to build the kernel module)", fix: "apt-get install linux-headers-amd64" };
}

export function checkTools(): CheckResult[] {
  const tools: [string, string, string][] = [
    ["gcc", "gcc", "apt-get install gcc make"],
    ["make", "make", "apt-get install make"],
    ["busybox (static, guest initramfs)", "/bin/busybox", "apt-get install busybox-static"],
    ["cpio (guest initramfs)", "cpio", "apt-get install cpio"],
    ["sparse (kernel module checks)", "sparse", "apt-get install sparse"],
    ["umoci (Kubernetes node images)", "umoci", "apt-get install umoci"],
    ["patchelf (node image tests: trixie's runc on this host)", "patchelf", "apt-get install patchelf"],
    ["mkfs.ext4 (Kubernetes node root disks)", "mkfs.ext4", "apt-get install e2fsprogs"],
    ["socat (Kubernetes nodes: the guest's forward to the API server)", "socat", "apt-get install socat"],
  ];
  return tools.map(([name, bin, fix]) => {
    const found = bin.startsWith("/") ? (existsSync(bin) ? bin : null) : which(bin);
    return found ? { name, status: "ok" as const, detail: found } : { name, status: "missing" as const, detail: "not found", fix };
  });
}

/** The Kubernetes components scripts/install-kubernetes.sh builds (for `cluster` commands). */
export function checkKubernetes(): CheckResult[] {
  const results: CheckResult[] = [];
  const go = which("go");
  const goVersion = go ? run(go, ["env", "GOVERSION"]).out.trim() : "";
  results.push(go
    ? { name: "go", status: "ok", detail: `${goVersion} (${go})` }
    : { name: "go", status: "warn", detail: "not found: needed once, to build Kubernetes from its Go modules", fix: "apt-get install golang-go (Go 1.26 or newer)" });
  const { kubernetes, helm } = pinnedVersions();
  const found = findKubernetes(kubernetes);
  results.push(found.ok
    ? { name: "kubernetes", status: "ok", detail: `Kubernetes ${kubernetes}, etcd and Helm ${helm} in ${found.binaries.dir}` }
    : { name: "kubernetes", status: "warn", detail: `Kubernetes ${kubernetes} not built (needed by \`cluster\` commands and their tests)`, fix: installCommand() });
  return results;
}

export function runAllChecks(): CheckResult[] {
  return [checkBun(), checkLibvfioUser(), ...checkQemu(), checkKernelHeaders(), ...checkTools(), ...checkKubernetes()];
}
