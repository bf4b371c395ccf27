// Kernel driver numbers: module build time, W=1 and sparse warning counts, and how long a
// Debian guest under QEMU TCG takes from QEMU's start until `insmod mock_accel.ko` returns.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { buildDeviceConfig, findLibvfioUserInstallation, VfioUserHost } from "@mock-accel/server";
import { bootGuest, buildInitramfs, fetchDebianKernel, findSystemQemu, findVfioUserQemu } from "@mock-accel/vm-harness";
import { expanderBusNumber } from "@mock-accel/sysfs-client";
import type { BenchRow } from "../../../bench/run.ts";
import { buildModule, findDebianKernelHeaders, FIRMWARE_NAME, FIRMWARE_PATH } from "../src/index.ts";

const SUITE = "kernel-driver";
const INSMOD_DONE = "@@insmod-done";

export default async function bench(): Promise<BenchRow[]> {
  const headers = findDebianKernelHeaders()[0];
  if (!headers) throw new Error("no /usr/src/linux-headers-*-amd64: apt-get install linux-headers-amd64");
  const rows: BenchRow[] = [];
  const note = `linux-headers-${headers.version}`;

  const plain = await buildModule({ kdir: headers.kdir });
  if (!plain.ok || !plain.modulePath) throw new Error(`module build failed:\n${plain.output}`);
  rows.push({ suite: SUITE, metric: "module build (clean, make -j2)", value: plain.durationMs / 1000, unit: "s", note });

  const w1 = await buildModule({ kdir: headers.kdir, makeArgs: ["W=1"] });
  rows.push({ suite: SUITE, metric: "W=1 warnings", value: w1.warnings.length, unit: "count", aim: "0", note });
  rmSync(w1.dir, { recursive: true, force: true });

  const sparse = await buildModule({ kdir: headers.kdir, makeArgs: ["C=2"] });
  rows.push({ suite: SUITE, metric: "sparse (C=2) warnings", value: sparse.warnings.length, unit: "count", aim: "0", note });
  rmSync(sparse.dir, { recursive: true, force: true });

  const qemu = await findSystemQemu();
  if (!qemu) throw new Error("qemu-system-x86_64 not found: apt-get install qemu-system-x86");
  const kernel = await fetchDebianKernel({ version: headers.version });
  const initramfs = await buildInitramfs({
    files: { "/mock_accel.ko": plain.modulePath, [`/lib/firmware/${FIRMWARE_NAME}`]: FIRMWARE_PATH },
    init: `insmod /mock_accel.ko && echo "${INSMOD_DONE} $(cut -d' ' -f1 /proc/uptime)"\n`,
  });
  try {
    const started = performance.now();
    let insmodMs: number | null = null;
    let serial = "";
    const r = await bootGuest({
      qemu,
      kernel: kernel.image,
      initramfs,
      timeoutMs: 180_000,
      onOutput: (chunk) => {
        serial += chunk;
        if (insmodMs === null && serial.includes(INSMOD_DONE)) insmodMs = performance.now() - started;
      },
    });
    const uptime = new RegExp(`${INSMOD_DONE} ([0-9.]+)`).exec(r.serial);
    if (insmodMs === null || !uptime) throw new Error(`the guest never finished insmod:\n${r.serial}`);
    const guestNote = `QEMU ${qemu}, TCG, Debian ${kernel.version}, busybox initramfs`;
    rows.push({ suite: SUITE, metric: "guest boot to insmod done (wall)", value: (insmodMs as number) / 1000, unit: "s", note: guestNote });
    rows.push({ suite: SUITE, metric: "guest boot to insmod done (guest uptime)", value: Number(uptime[1]), unit: "s", note: guestNote });
    rows.push({ suite: SUITE, metric: "guest boot to power-off (wall)", value: r.durationMs / 1000, unit: "s", note: guestNote });
    rows.push(...(await vfioUserBoot(plain.modulePath, kernel.image)));
  } finally {
    rmSync(dirname(initramfs), { recursive: true, force: true });
    rmSync(plain.dir, { recursive: true, force: true });
  }
  return rows;
}

/**
 * Boot with a PF + 2 VFs (NUMA node 0) and a PF (node 1) served over vfio-user-pci by the Bun
 * server, until insmod has bound all four functions. Skipped (no rows) without libvfio-user
 * or a QEMU with vfio-user-pci.
 */
async function vfioUserBoot(modulePath: string, image: string): Promise<BenchRow[]> {
  const qemu = await findVfioUserQemu({ install: false });
  let host: VfioUserHost;
  try {
    findLibvfioUserInstallation();
    host = await VfioUserHost.start();
  } catch {
    return [];
  }
  if (!qemu) {
    await host.close();
    return [];
  }
  const dir = mkdtempSync(join(tmpdir(), "mock-accel-bench-vfu-"));
  const initramfs = await buildInitramfs({
    files: { "/mock_accel.ko": modulePath, [`/lib/firmware/${FIRMWARE_NAME}`]: FIRMWARE_PATH },
    init: `insmod /mock_accel.ko && echo "${INSMOD_DONE} $(cut -d' ' -f1 /proc/uptime) $(ls /sys/bus/pci/drivers/mock-accel | grep -c :)"\n`,
  });
  try {
    const fns = [
      { sock: "pf0", kind: "pf", opts: { totalVfs: 2 }, bus: "rp0", addr: "0.0" },
      { sock: "vf0", kind: "vf", opts: { vfIndex: 0 }, bus: "rp0", addr: "0.1" },
      { sock: "vf1", kind: "vf", opts: { vfIndex: 1 }, bus: "rp0", addr: "0.2" },
      { sock: "pf1", kind: "pf", opts: {}, bus: "rp1", addr: "0.0" },
    ] as const;
    for (const f of fns) {
      await host.addDevice({
        socketPath: join(dir, `${f.sock}.sock`),
        kind: f.kind,
        config: buildDeviceConfig({ kind: f.kind, uuid: `bench-${f.sock}`, ...f.opts }),
        multifunction: f.sock === "pf0",
      });
    }
    const started = performance.now();
    let doneMs: number | null = null;
    let serial = "";
    const r = await bootGuest({
      qemu,
      kernel: image,
      initramfs,
      timeoutMs: 180_000,
      machine: [
        "-machine", "q35", "-m", "512M", "-smp", "1",
        "-object", "memory-backend-memfd,id=m0,size=256M,share=on", "-numa", "node,nodeid=0,cpus=0,memdev=m0",
        "-object", "memory-backend-memfd,id=m1,size=256M,share=on", "-numa", "node,nodeid=1,memdev=m1",
      ],
      extraArgs: [
        "-device", `pxb-pcie,id=pxb1,bus_nr=${expanderBusNumber(1)},numa_node=1,bus=pcie.0`,
        "-device", `pxb-pcie,id=pxb0,bus_nr=${expanderBusNumber(0)},numa_node=0,bus=pcie.0`,
        "-device", "pcie-root-port,id=rp0,bus=pxb0,chassis=1",
        "-device", "pcie-root-port,id=rp1,bus=pxb1,chassis=2",
      ],
      devices: fns.map((f) =>
        JSON.stringify({ driver: "vfio-user-pci", socket: { path: join(dir, `${f.sock}.sock`), type: "unix" }, bus: f.bus, addr: f.addr, ...(f.sock === "pf0" ? { multifunction: true } : {}) }),
      ),
      onOutput: (chunk) => {
        serial += chunk;
        if (doneMs === null && serial.includes(INSMOD_DONE)) doneMs = performance.now() - started;
      },
    });
    const m = new RegExp(`${INSMOD_DONE} ([0-9.]+) (\\d+)`).exec(r.serial);
    if (doneMs === null || !m || m[2] !== "4") throw new Error(`vfio-user guest: insmod did not bind 4 functions:\n${r.serial}`);
    const note = `${qemu}, 4 functions (PF+2 VFs on node 0, PF on node 1), TCG`;
    return [
      { suite: SUITE, metric: "vfio-user guest boot to 4 functions bound (wall)", value: (doneMs as number) / 1000, unit: "s", note },
      { suite: SUITE, metric: "vfio-user guest boot to 4 functions bound (guest uptime)", value: Number(m[1]), unit: "s", note },
    ];
  } finally {
    await host.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(dirname(initramfs), { recursive: true, force: true });
  }
}
