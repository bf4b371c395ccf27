// A Debian kernel image for the guest, matching the linux-headers-*-amd64 the module is built
// against: `apt-get download` of linux-image-<version>-unsigned (or the signed image), unpacked
// with `dpkg-deb -x` into the cache. Nothing is installed on the host.
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { cacheDir } from "./cache.ts";
import { run, runOk } from "./run.ts";

export interface GuestKernel {
  /** e.g. "6.1.0-56-amd64" */
  version: string;
  /** The distribution's compressed image (boot/vmlinuz-<version>). */
  vmlinuz: string;
  /**
   * What to boot: the uncompressed ELF vmlinux (QEMU starts it through its PVH entry, which
   * skips SeaBIOS's decompression under TCG: 5-6 s to /init instead of 15-19 s here), or
   * vmlinuz when it could not be extracted.
   */
  image: string;
  /** The unpacked package root; lib/modules/<version> holds the distribution's modules. */
  root: string;
}

/** Versions of Debian linux-headers-*-amd64 trees installed in /usr/src, newest first. */
export function installedHeaderVersions(): string[] {
  if (!existsSync("/usr/src")) return [];
  return readdirSync("/usr/src")
    .map((d) => /^linux-headers-(\d+\.\d+\.\d+-\d+-amd64)$/.exec(d)?.[1])
    .filter((v): v is string => v !== undefined && existsSync(join("/usr/src", `linux-headers-${v}`, "Makefile")))
    .sort((a, b) => b.localeCompare(a, undefined, { numeric: true }));
}

/**
 * Fetch (once) and unpack the Debian kernel image `version` (default: the newest installed
 * linux-headers version). Throws naming the package when apt cannot provide it.
 */
export async function fetchDebianKernel(opts: { version?: string; cache?: string } = {}): Promise<GuestKernel> {
  const version = opts.version ?? installedHeaderVersions()[0];
  if (!version) throw new Error("no linux-headers-*-amd64 in /usr/src: apt-get install linux-headers-amd64");
  const base = join(opts.cache ?? cacheDir(), "kernel");
  const root = join(base, version);
  const vmlinuz = join(root, "boot", `vmlinuz-${version}`);
  if (existsSync(vmlinuz)) return { version, vmlinuz, root, image: await extractVmlinux(vmlinuz) };

  mkdirSync(base, { recursive: true });
  const staging = join(base, `.${version}.tmp-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    let fetched = false;
    const tried: string[] = [];
    for (const pkg of [`linux-image-${version}-unsigned`, `linux-image-${version}`]) {
      // _apt cannot write into root's cache; downloading as root is what we want here.
      const r = await run("apt-get", ["-q", "-o", "APT::Sandbox::User=root", "download", pkg], { cwd: staging });
      if (r.code === 0) {
        fetched = true;
        break;
      }
      tried.push(`${pkg}: ${r.stderr.trim().split("\n").pop()}`);
    }
    if (!fetched) throw new Error(`cannot download the guest kernel with apt-get download:\n  ${tried.join("\n  ")}`);
    const deb = readdirSync(staging).find((f) => f.endsWith(".deb"));
    if (!deb) throw new Error(`apt-get download left no .deb in ${staging}`);
    const unpacked = join(staging, "root");
    await runOk("dpkg-deb", ["-x", join(staging, deb), unpacked]);
    if (!existsSync(join(unpacked, "boot", `vmlinuz-${version}`))) {
      throw new Error(`${deb} holds no boot/vmlinuz-${version}`);
    }
    // Another process may have finished the same fetch meanwhile: keep the first complete one.
    if (!existsSync(vmlinuz)) {
      rmSync(root, { recursive: true, force: true });
      renameSync(unpacked, root);
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return { version, vmlinuz, root, image: await extractVmlinux(vmlinuz) };
}

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

/**
 * The ELF vmlinux inside an xz-compressed bzImage (Debian's), cached next to it as
 * `vmlinux`; returns `vmlinuz` itself when there is none or `xz` is missing.
 */
export async function extractVmlinux(vmlinuz: string): Promise<string> {
  const out = join(dirname(vmlinuz), "vmlinux");
  if (existsSync(out)) return out;
  const image = readFileSync(vmlinuz);
  const at = image.indexOf(XZ_MAGIC);
  if (at < 0) return vmlinuz;
  const partial = `${out}.partial-${process.pid}`;
  const fd = openSync(partial, "w");
  const ok = await new Promise<boolean>((resolve) => {
    const child = spawn("xz", ["-dc", "--single-stream"], { stdio: ["pipe", fd, "ignore"] });
    child.on("error", () => resolve(false));
    child.on("close", (code) => resolve(code === 0));
    child.stdin!.on("error", () => {}); // xz stops reading at the end of the stream
    child.stdin!.end(image.subarray(at));
  }).finally(() => closeSync(fd));
  const elf = ok && readFileSync(partial).subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  if (!elf) {
    rmSync(partial, { force: true });
    return vmlinuz;
  }
  renameSync(partial, out);
  return out;
}
