// End-to-end benchmark (`bun run bench --filter e2e`), both transports side by side: time from
// starting QEMU until the guest lists its class devices after insmod, and the in-guest latency
// of reading `status` through sysfs, timed inside the guest over 1,000 reads: raw pread() of
// the attribute file (the transport's round trip dominates) and the typed sysfs client's
// read("status") (what a DRA driver pays), once with the file kept open (the default) and once
// opening it for every read, in the same guest; and raw pread() of `memory_size`, a constant
// the driver reads once at probe, so no round trip at all.
import { statSync } from "node:fs";
import type { BenchRow } from "../../../bench/run.ts";
import { guestArtifacts } from "@mock-accel/guest-image";
import { runGuest, type Transport } from "../src/index.ts";
import { proxyQemuPath, vfioUserQemuPath, libvfioUser } from "../src/requirements.ts";

const READS = 1000;

export default async function bench(): Promise<BenchRow[]> {
  const artifacts = await guestArtifacts();
  const rows: BenchRow[] = [];
  const cases: [Transport, string | null, string][] = [
    ["proxy", proxyQemuPath, "system QEMU (x-pci-proxy-dev)"],
    ["vfio-user", libvfioUser.available ? vfioUserQemuPath : null, "QEMU from scripts/install-qemu-vfio-user.sh (vfio-user-pci)"],
  ];
  for (const [transport, qemu, what] of cases) {
    if (qemu === null) throw new Error(`e2e bench over ${transport}: no ${what} available`);
    const r = await runGuest({ transport, qemu, artifacts, bench: true, benchReads: READS });
    if (r.boot.exitCode !== 0) throw new Error(`e2e bench over ${transport}: guest exited ${r.boot.exitCode}\n${r.boot.serial.slice(-2000)}`);
    const raw = /ns_per_read (\d+)/.exec(r.sections["bench-sysfs-read"] ?? "");
    const client = /"usPerRead":([\d.]+)/.exec(r.sections["bench-client-read"] ?? "");
    const clientOpenEach = /"openEach":([\d.]+)/.exec(r.sections["bench-client-read"] ?? "");
    const bunPread = /"bunPread":([\d.]+)/.exec(r.sections["bench-client-read"] ?? "");
    const ffiPread = /"ffiPread":([\d.]+)/.exec(r.sections["bench-client-read"] ?? "");
    const constant = /ns_per_read (\d+)/.exec(r.sections["bench-sysfs-read-constant"] ?? "");
    if (!raw || !client || !clientOpenEach || !bunPread || !ffiPread || !constant || r.devicesReadyMs === null) throw new Error(`e2e bench over ${transport}: the guest printed no timings\n${r.boot.scriptOutput.slice(-2000)}`);
    const suite = `e2e ${transport}`;
    const cpus = r.vm.numaNodes.reduce((n, node) => n + node.cpus, 0);
    const setup = `TCG, ${cpus} vCPUs, ${Math.round(statSync(r.initramfs).size / 2 ** 20)} MB initramfs`;
    rows.push(
      { suite, metric: "guest boot to devices ready (QEMU start to class devices listed after insmod)", value: r.devicesReadyMs / 1000, unit: "s", note: setup },
      { suite, metric: `status read through sysfs, pread() (${READS} reads, timed in the guest)`, value: Number(raw[1]) / 1000, unit: "µs/read" },
      { suite, metric: `memory_size (read at probe) through sysfs, pread() (${READS} reads, timed in the guest)`, value: Number(constant[1]) / 1000, unit: "µs/read" },
      {
        suite,
        metric: "memory_size pread() / status pread() (constant vs live MMIO read, one guest)",
        value: Number(constant[1]) / Number(raw[1]),
        unit: "×",
        aim: "≤ 0.2",
      },
      { suite, metric: `status read through the typed sysfs client (${READS} reads, timed in the guest)`, value: Number(client[1]), unit: "µs/read", note: "the attribute file kept open: one pread per read" },
      {
        suite,
        metric: "typed client status read / status pread() (one guest)",
        value: Number(client[1]) / (Number(raw[1]) / 1000),
        unit: "×",
        aim: "≤ 3",
      },
      { suite, metric: `status read through the typed sysfs client opening the file each read (${READS} reads, timed in the guest)`, value: Number(clientOpenEach[1]), unit: "µs/read", note: "maxOpenFiles 0: open, fstat, read, close per read (the client before issue 20's kept files); interleaved with the row above" },
      { suite, metric: `status pread() from Bun, no client (${READS} reads, timed in the guest)`, value: Number(bunPread[1]), unit: "µs/read", note: "readSync at offset 0 on an open fd, in the same program: what Bun itself adds to the C pread above" },
      { suite, metric: `status pread() from Bun through bun:ffi, no client (${READS} reads, timed in the guest)`, value: Number(ffiPread[1]), unit: "µs/read", note: "libc's pread called through bun:ffi on the same fd, interleaved with the rows above: the least a JS caller pays" },
    );
  }
  return rows;
}
