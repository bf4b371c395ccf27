// Kernel driver numbers: module build time, W=1 and sparse warning counts, and how long a
// Debian guest under QEMU TCG takes from QEMU's start until `insmod mock_accel.ko` returns.
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { bootGuest, buildInitramfs, fetchDebianKernel, findSystemQemu } from "@mock-accel/vm-harness";
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
  } finally {
    rmSync(dirname(initramfs), { recursive: true, force: true });
    rmSync(plain.dir, { recursive: true, force: true });
  }
  return rows;
}
