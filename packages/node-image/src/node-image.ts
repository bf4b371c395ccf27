// The node guest: the Debian kernel, a small initramfs that mounts the root disk, and the root
// disk itself (ext4, made from a folder with `mkfs.ext4 -d`, no mounting and no root needed).
// A node boots it with QEMU's `snapshot=on`, so every node gets a private throwaway copy and
// the cached image is never written. Everything is cached by a hash of its inputs.
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { builtModule, FIRMWARE_NAME, FIRMWARE_PATH, findDebianKernelHeaders, MODULE_NAME } from "@mock-accel/kernel-driver";
import { buildInitramfs, cachedBuild, fetchDebianKernel, hashFiles, run, runOk, type GuestKernel } from "@mock-accel/vm-harness";
import { debianNodeRoot } from "./debian-root.ts";
import { resolveModules } from "./kernel-modules.ts";
import { preloadImages } from "./preload.ts";
import { bootScript, cniConfig, containerdConfig, initramfsInit, inittab, kubeletConfig, NODE_PATHS } from "./node-files.ts";

/** What reading the root disk needs (virtio-blk behind virtio-pci, ext4). */
const INITRAMFS_MODULES = ["virtio_pci", "virtio_blk", "ext4", "crc32c_generic"] as const;
/** What the node needs once on its disk: its config over fw_cfg, networking, the CNI bridge, overlayfs. */
const NODE_MODULES = ["qemu_fw_cfg", "virtio_net", "bridge", "veth", "overlay"] as const;

export interface NodeImageInputs {
  /** The kubelet binary (static, from scripts/install-kubernetes.sh). */
  kubelet: string;
  /** OCI archives imported into containerd at boot. */
  images?: readonly string[];
  onProgress?: (line: string) => void;
}

export interface NodeImage {
  kernel: GuestKernel;
  /** What QEMU boots with -kernel. */
  kernelImage: string;
  initramfs: string;
  /** The root disk (raw ext4); boot it with snapshot=on. */
  rootDisk: string;
  /** Kernel command line the image needs. */
  append: string;
}

function write(root: string, path: string, content: string, mode = 0o644): void {
  const dest = join(root, path);
  mkdirSync(dirname(dest), { recursive: true });
  writeFileSync(dest, content);
  chmodSync(dest, mode);
}

function link(root: string, path: string, target: string): void {
  const dest = join(root, path);
  mkdirSync(dirname(dest), { recursive: true });
  rmSync(dest, { force: true });
  symlinkSync(target, dest);
}

function duBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += duBytes(p);
    else if (e.isFile()) total += statSync(p).size;
  }
  return total;
}

async function kernelAndModule(): Promise<{ kernel: GuestKernel; module: string }> {
  const headers = findDebianKernelHeaders()[0];
  if (!headers) throw new Error("no Debian kernel headers in /usr/src: apt-get install linux-headers-amd64");
  const [kernel, module] = await Promise.all([fetchDebianKernel({ version: headers.version }), builtModule({ kdir: headers.kdir })]);
  return { kernel, module };
}

async function buildInitramfsFor(kernel: GuestKernel): Promise<string> {
  const modules = await resolveModules(kernel, INITRAMFS_MODULES);
  const init = initramfsInit(modules.map((m) => `${m.name}.ko`));
  const key = hashFiles(modules.map((m) => m.path), [init]);
  return cachedBuild("node-image", "initramfs", key, "initramfs.cpio.gz", async (out) => {
    const files = Object.fromEntries(modules.map((m) => [`/modules/${m.name}.ko`, m.path]));
    await buildInitramfs({ files, init: "", rawInit: init, outPath: out });
  });
}

async function buildRootDisk(kernel: GuestKernel, module: string, inputs: NodeImageInputs, debianRoot: string): Promise<string> {
  const modules = await resolveModules(kernel, NODE_MODULES);
  const texts = [bootScript(), containerdConfig(), cniConfig(), kubeletConfig(), inittab()];
  // This file, node-files.ts and preload.ts decide the layout, so they are inputs too.
  const files = [import.meta.filename, join(import.meta.dirname, "node-files.ts"), join(import.meta.dirname, "preload.ts"), inputs.kubelet, module, FIRMWARE_PATH, ...modules.map((m) => m.path), ...(inputs.images ?? []), join(debianRoot, "PACKAGES")];
  const key = hashFiles(files, texts);
  return cachedBuild("node-image", "root", key, "root.ext4", async (out) => {
    inputs.onProgress?.("node image: assembling the root disk");
    const stage = mkdtempSync(join(tmpdir(), "mock-accel-node-root-"));
    try {
      cpSync(debianRoot, stage, { recursive: true, verbatimSymlinks: true });
      rmSync(join(stage, "PACKAGES"));
      // Debian's merged /usr: the top-level names are links into /usr.
      for (const d of ["bin", "sbin", "lib", "lib64"]) link(stage, d, `usr/${d}`);
      for (const d of ["proc", "sys", "dev", "run", "tmp", "root", "var/lib", "var/log", "etc/cni/net.d", "etc/cdi"]) mkdirSync(join(stage, d), { recursive: true });
      link(stage, "var/run", "../run");
      // busybox: init, sh, and every applet that no package provides.
      const busybox = join(stage, "usr/bin/busybox");
      const applets = (await runOk(busybox, ["--list"])).split("\n").filter(Boolean);
      for (const a of applets) {
        if (!["bin", "sbin"].some((d) => existsSync(join(stage, "usr", d, a)))) link(stage, `usr/local/bin/${a}`, "/usr/bin/busybox");
      }
      link(stage, "usr/sbin/init", "/usr/bin/busybox");
      link(stage, "usr/bin/sh", "busybox");
      write(stage, "etc/inittab", inittab());
      write(stage, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
      write(stage, "etc/group", "root:x:0:\n");
      write(stage, "etc/resolv.conf", "");
      write(stage, "etc/hostname", "node\n");
      write(stage, NODE_PATHS.bootScript, bootScript(), 0o755);
      write(stage, NODE_PATHS.containerdConfig, containerdConfig());
      write(stage, NODE_PATHS.cniConfig, cniConfig());
      write(stage, NODE_PATHS.kubeletConfig, kubeletConfig());
      mkdirSync(join(stage, dirname(NODE_PATHS.kubelet)), { recursive: true });
      copyFileSync(inputs.kubelet, join(stage, NODE_PATHS.kubelet));
      chmodSync(join(stage, NODE_PATHS.kubelet), 0o755);
      const modDir = join("lib/modules", kernel.version);
      for (const m of modules) {
        mkdirSync(join(stage, "usr", modDir, dirname(m.relativePath)), { recursive: true });
        copyFileSync(m.path, join(stage, "usr", modDir, m.relativePath));
      }
      mkdirSync(join(stage, "usr", modDir, "extra"), { recursive: true });
      copyFileSync(module, join(stage, "usr", modDir, "extra", `${MODULE_NAME}.ko`));
      write(stage, NODE_PATHS.modulesList, [...modules.map((m) => m.relativePath), `extra/${MODULE_NAME}.ko`].join("\n") + "\n");
      mkdirSync(join(stage, "usr/lib/firmware"), { recursive: true });
      copyFileSync(FIRMWARE_PATH, join(stage, "usr/lib/firmware", FIRMWARE_NAME));
      mkdirSync(join(stage, NODE_PATHS.images), { recursive: true });
      inputs.onProgress?.("node image: importing the container images into the disk's containerd");
      await preloadImages(debianRoot, join(stage, NODE_PATHS.containerdRoot), inputs.images ?? []);
      // Room for containerd to unpack the images and for the pods' writable layers.
      const bytes = duBytes(stage);
      const sizeMiB = Math.ceil((bytes * 2.5) / 2 ** 20) + 1024;
      const r = await run("mkfs.ext4", ["-q", "-F", "-L", "mock-node", "-E", "root_owner=0:0", "-d", stage, out, `${sizeMiB}M`]);
      if (r.code !== 0) throw new Error(`mkfs.ext4 -d failed (apt-get install e2fsprogs): ${r.stderr.trim()}`);
    } finally {
      rmSync(stage, { recursive: true, force: true });
    }
  });
}

/** Build (or take from the cache) everything a node boots from. */
export async function nodeImage(inputs: NodeImageInputs): Promise<NodeImage> {
  const [{ kernel, module }, debianRoot] = await Promise.all([kernelAndModule(), debianNodeRoot({ onProgress: inputs.onProgress })]);
  const [initramfs, rootDisk] = await Promise.all([buildInitramfsFor(kernel), buildRootDisk(kernel, module, inputs, debianRoot)]);
  return { kernel, kernelImage: kernel.image, initramfs, rootDisk, append: "console=ttyS0 rdinit=/init panic=-1 quiet no_timer_check" };
}
