// The driver executable's start under TCG, where the node guests run it: a busybox guest holding
// the image's executable (--bytecode) and one compiled without --bytecode, each run three times
// with --help and three times until it serves the kubelet's registration socket (guest uptime,
// 10 ms resolution).
// One TCG boot of a few minutes on a loaded 2-core machine.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { findDebianKernelHeaders } from "@mock-accel/kernel-driver";
import { bootGuest, buildInitramfs, fetchDebianKernel, findSystemQemu, hostExecutableFiles, type GuestFile } from "@mock-accel/vm-harness";
import type { BenchRow } from "../../../bench/run.ts";
import { compileDriver } from "../src/images/driver.ts";

const SUITE = "node-image";
const VARIANTS = ["bytecode", "plain"] as const;
const RUNS = 3;
const MARK = "@@driver-start";

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
users: [{name: u, user: {token: x}}]
current-context: c
`;

// Interleaved, so the load of a shared machine falls on both variants alike: `--help` (the
// bundle loaded, nothing else), then `run` until the registration socket exists (a fresh
// registry folder each time). Times are the guest's uptime before exec and after.
const SCRIPT = `mkdir -p /d/sys
for i in ${Array.from({ length: RUNS }, (_, i) => i + 1).join(" ")}; do
  for v in ${VARIANTS.join(" ")}; do
    t0=$(cut -d' ' -f1 /proc/uptime)
    /bin/dra-$v --help >/dev/null
    t1=$(cut -d' ' -f1 /proc/uptime)
    echo "${MARK} help $v $t0 $t1"
    reg=/d/reg-$v-$i
    t0=$(cut -d' ' -f1 /proc/uptime)
    /bin/dra-$v run --node-name bench-node --kubeconfig /d/kubeconfig --sysfs-root /d/sys --registrar-dir $reg \\
      --plugin-dir /d/plugin-$v-$i --cdi-dir /d/cdi --verbosity 0 >/dev/null 2>&1 &
    pid=$!
    n=0
    while [ ! -S $reg/mock-accel.example.com-reg.sock ] && [ $n -lt 12000 ]; do usleep 10000; n=$((n+1)); done
    t1=$(cut -d' ' -f1 /proc/uptime)
    [ -S $reg/mock-accel.example.com-reg.sock ] || { echo "dra-$v never served $reg"; exit 1; }
    echo "${MARK} run $v $t0 $t1"
    kill $pid; wait $pid
  done
done
`;

export default async function bench(): Promise<BenchRow[]> {
  const qemu = await findSystemQemu();
  if (!qemu) throw new Error("qemu-system-x86_64 not found: apt-get install qemu-system-x86");
  const headers = findDebianKernelHeaders()[0];
  if (!headers) throw new Error("no Debian kernel headers in /usr/src: apt-get install linux-headers-amd64");
  const kernel = await fetchDebianKernel({ version: headers.version });
  const scratch = mkdtempSync(join(tmpdir(), "mock-accel-driver-tcg-"));
  let initramfs: string | undefined;
  try {
    const files: Record<string, GuestFile> = { "/d/kubeconfig": { content: KUBECONFIG } };
    for (const v of VARIANTS) {
      const binary = join(scratch, `dra-${v}`);
      await compileDriver(binary, { bytecode: v === "bytecode" });
      Object.assign(files, await hostExecutableFiles(binary, `/bin/dra-${v}`));
    }
    initramfs = await buildInitramfs({ files, init: SCRIPT });
    const r = await bootGuest({ qemu, kernel: kernel.image, initramfs, machine: ["-machine", "q35", "-m", "2G", "-smp", "1"], timeoutMs: 900_000 });
    const starts = [...r.scriptOutput.matchAll(new RegExp(`${MARK} (help|run) (\\w+) ([0-9.]+) ([0-9.]+)`, "g"))];
    if (r.exitCode !== 0 || starts.length !== 2 * VARIANTS.length * RUNS) throw new Error(`the guest did not time every start (exit ${r.exitCode}):\n${r.serial.slice(-3000)}`);
    const note = `median of ${RUNS}, TCG guest (1 vCPU), Debian ${kernel.version}`;
    return (["help", "run"] as const).flatMap((what) => VARIANTS.map((v) => {
      const ms = starts.filter((m) => m[1] === what && m[2] === v).map((m) => (Number(m[4]) - Number(m[3])) * 1000).sort((a, b) => a - b);
      const label = v === "bytecode" ? "--bytecode" : "no --bytecode";
      const metric = what === "help" ? `driver --help under TCG (${label})` : `driver start to registration socket under TCG (${label})`;
      return { suite: SUITE, metric, value: ms[Math.floor(ms.length / 2)]!, unit: "ms", note };
    }));
  } finally {
    if (initramfs) rmSync(dirname(initramfs), { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
}
