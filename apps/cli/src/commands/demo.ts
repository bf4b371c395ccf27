// `mock-accel demo`: the README's main job. Set up what is missing, build, serve
// examples/demo.yaml (a PF with two VFs on NUMA node 0, a PF on NUMA node 1), probe every device
// over its socket, boot a real guest with the real kernel driver against those same devices,
// and print what a DRA driver discovers inside it. Then a Kubernetes cluster built from
// upstream sources whose node is that VM, the driver installed with Helm, and a Pod that gets a
// mock accelerator: its log is the last thing shown. Then shut down (or stay up with --keep).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { probeDevice } from "@mock-accel/server";
import { SYSFS_CLASS } from "@mock-accel/sysfs-client";
import { bootGuest, findVfioUserQemu, parseSections, run, SECTION_FUNCTION } from "@mock-accel/vm-harness";
import { INSTALL_SCRIPT, startVmCluster, type VmCluster } from "@mock-accel/cluster";
import { buildNodeImages } from "@mock-accel/node-image";
import { guestArtifacts, guestInitramfs, GUEST } from "@mock-accel/guest-image";
import type { CommandModule } from "../command.ts";
import { formatTable, parseCommand } from "../args.ts";
import { bringUp, findVm, formatArgs, loadTopologyFile, qemuArgs, shellQuote, type Running } from "@mock-accel/topology";
import { devicesTable } from "./up.ts";
import { repoRoot } from "../doctor/checks.ts";
import { runShown, seconds, withHeartbeat } from "../progress.ts";

const HELP = `Usage: mock-accel demo [options]

Set up what is missing (apt packages as root, libvfio-user, a QEMU with vfio-user-pci), build,
serve examples/demo.yaml (a PF with two VFs on NUMA node 0, a PF on NUMA node 1) from one
process, probe every device over its socket, boot a Debian guest under QEMU with the
mock-accel kernel driver against those devices, and print what a DRA driver sees inside it.
Then build Kubernetes from its Go modules (20-40 min the first time), bring up a cluster whose
node is that VM with the DRA driver installed by its Helm chart, and run a Pod that gets a
mock accelerator; its log is the last thing shown.

Options:
  --keep          leave the devices (and the cluster) up afterwards (Ctrl-C stops them)
  --no-setup      skip the set-up step (scripts/setup-host.sh)
  --no-guest      stop after probing (no VM boot, no cluster; QEMU is not installed)
  --no-cluster    stop after the guest's view (no Kubernetes build, no cluster)
  --run-dir DIR   where the sockets go (default: a new temporary directory)
  -h, --help      show this help`;

const TOPOLOGY = join(repoRoot, "examples/demo.yaml");
const STEPS = 8;

/** A step's title, and for a long step what to expect (measured; README "What it takes"). */
function step(n: number, title: string, expect?: string): void {
  console.log(`\n[${n}/${STEPS}] ${title}`);
  if (expect) console.log(`      expect ${expect}`);
}

/** A command whose own lines are shown as they come (setup-host.sh says what it installs). */
const runVerbose = (what: string, cmd: string, args: string[]) => runShown(what, cmd, args, { cwd: repoRoot });
/** A command whose output is noise unless it fails (turbo's task log): status lines only. */
const runQuiet = (what: string, cmd: string, args: string[]) => runShown(what, cmd, args, { cwd: repoRoot, showOutput: false });

/** The guest's job: load the driver, enable two VFs on the PF that has them, discover. */
const GUEST_SCRIPT = `
${SECTION_FUNCTION}
section insmod
insmod ${GUEST.module} && echo insmod-ok
for d in /sys/class/${SYSFS_CLASS}/*; do
  t=$(cat $d/sriov_totalvfs 2>/dev/null) || continue
  [ "$t" -gt 0 ] && echo 2 > $d/sriov_numvfs
done
section ls
ls /sys/class/${SYSFS_CLASS}
section dra
${GUEST.discover} dra
section dmesg
dmesg | grep -i mock
`;

interface GuestDevice {
  name: string;
  kind: string;
  pciAddress: string;
  numaNode: number;
  vendorId: number;
  deviceId: number;
  pf: { name: string; pciAddress: string } | null;
  attributes: Record<string, unknown>;
  dra: { attributes: Record<string, Record<string, unknown>>; capacity: Record<string, { value: string }> };
}

function guestTable(devices: GuestDevice[]): string {
  const rows = devices.map((d) => [
    d.name,
    d.kind.toUpperCase(),
    d.pciAddress,
    `${d.vendorId.toString(16).padStart(4, "0")}:${d.deviceId.toString(16).padStart(4, "0")}`,
    String(d.numaNode),
    Object.values(d.dra.capacity)[0]?.value ?? "",
    String(d.attributes.uuid ?? ""),
    d.pf?.name ?? "",
  ]);
  return formatTable(["NAME", "KIND", "PCI", "ID", "NUMA", "MEMORY", "UUID", "PF"], rows, "      ");
}

function draValue(v: Record<string, unknown>): string {
  const [k, x] = Object.entries(v)[0] ?? ["?", "?"];
  return `${String(x)} (${k})`;
}

const OPTIONS = {
  keep: { type: "boolean", default: false },
  "no-setup": { type: "boolean", default: false },
  "no-guest": { type: "boolean", default: false },
  "no-cluster": { type: "boolean", default: false },
  "run-dir": { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

export const command: CommandModule = {
  async run(argv) {
    const parsed = parseCommand({ name: "demo", options: OPTIONS, help: HELP }, argv);
    if (typeof parsed === "number") return parsed;
    const { values } = parsed;
    const ownRunDir = values["run-dir"] === undefined;
    const runDir = values["run-dir"] ?? mkdtempSync(join(tmpdir(), "mock-accel-demo-"));
    let running: Running | null = null;
    let cluster: VmCluster | null = null;
    // From the first step on, Ctrl-C stops the devices and removes the sockets before exiting
    // (with --keep it just ends the wait).
    let keepWaiting: (() => void) | null = null;
    const onSignal = () => {
      if (keepWaiting) return keepWaiting();
      void (async () => {
        await running?.close();
        await cluster?.stop();
        if (ownRunDir) rmSync(runDir, { recursive: true, force: true });
        process.exit(130);
      })();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    try {
      step(1, "Set up this machine", values["no-setup"] ? undefined : "75 to 90 s the first time (libvfio-user built from source, Debian unstable's QEMU: 250 MB), 1 s once done");
      if (values["no-setup"]) console.log("      skipped (--no-setup)");
      else await runVerbose("scripts/setup-host.sh", "bash", ["scripts/setup-host.sh", "-v", ...(values["no-guest"] ? ["--no-qemu"] : [])]);

      step(2, "Build (codegen check, turbo build)", "about 5 s (up to a minute when the sources changed)");
      await runQuiet("codegen --check", "bun", ["packages/codegen/src/cli.ts", "--check", "--quiet"]);
      await runQuiet("turbo build", "bun", ["run", "build"]);

      step(3, `Serve ${"examples/demo.yaml"} over vfio-user from one process`);
      const topology = loadTopologyFile(TOPOLOGY);
      const vm = findVm(topology, undefined);
      running = await bringUp(topology, {
        transport: "vfio-user",
        runDir,
        // An in-place count on a terminal; a pipe or log file gets only the final count.
        onProgress: (done, total) => {
          if (process.stdout.isTTY) process.stdout.write(`\r      starting devices: ${done}/${total}${done === total ? "\n" : ""}`);
          else if (done === total) console.log(`      starting devices: ${done}/${total}`);
        },
      });
      console.log(devicesTable(running.devices, "      "));

      step(4, "Probe every device over its socket (vfio-user, no VM)");
      for (const s of running.devices) {
        const report = await probeDevice(s.socketPath);
        const reg = (n: string) => report.registers.find((r) => r.name === n)?.text ?? "?";
        console.log(
          `      ${s.device.id.padEnd(16)} ${report.config.vendorId.toString(16)}:${report.config.deviceId.toString(16).padStart(4, "0")}` +
            `  memory ${reg("MEMORY_SIZE")}  fw ${reg("FW_VERSION")}  SR-IOV ${report.config.sriov ? `TotalVFs ${report.config.sriov.totalVfs}` : "none"}`,
        );
      }

      step(5, "Boot a guest: Debian kernel, mock_accel.ko, the typed sysfs client inside", values["no-guest"] ? undefined : "30 to 50 s to fetch and build the guest the first time (seconds after), then 40 s to 2 min for the boot under TCG");
      // The QEMU the guest boots with is the one the closing command names.
      const qemu = await findVfioUserQemu({ install: false });
      if (values["no-guest"]) console.log("      skipped (--no-guest)");
      else {
        if (!qemu) throw new Error("no QEMU with vfio-user-pci: run `bash scripts/install-qemu-vfio-user.sh -v` (or the demo without --no-setup)");
        console.log("      building the guest (kernel, module, discovery program; cached after the first run) ...");
        const { artifacts, initramfs } = await withHeartbeat("building the guest", async () => {
          const artifacts = await guestArtifacts();
          return { artifacts, initramfs: await guestInitramfs(artifacts, GUEST_SCRIPT) };
        });
        console.log(`      booting under TCG with ${qemu} ...`);
        const boot = await withHeartbeat("guest", (beat) =>
          bootGuest({
            qemu,
            kernel: artifacts.kernel.image,
            initramfs,
            machine: [...qemuArgs(vm, { transport: "vfio-user", runDir }), "-cpu", "max"],
            timeoutMs: 180_000,
            // The status line quotes the console's latest line: how far the boot has got.
            onOutput: (chunk) => beat.note(chunk.replace(/\r/g, "").split("\n").filter((l) => l.trim()).pop() ?? ""),
          }),
        );
        const sections = parseSections(boot.scriptOutput);
        if (!sections.insmod?.includes("insmod-ok")) throw new Error(`the guest could not load the driver:\n${boot.serial.slice(-3000)}`);
        const json = sections.dra?.split("\n").find((l) => l.startsWith("["));
        if (!json) throw new Error(`the discovery program printed nothing usable:\n${boot.scriptOutput.slice(-3000)}`);
        const devices = JSON.parse(json) as GuestDevice[];
        console.log(`      guest booted and ran in ${seconds(boot.durationMs)}; /sys/class/${SYSFS_CLASS}: ${sections.ls?.trim().split(/\s+/).join(" ")}`);

        step(6, "What a DRA driver sees inside the guest (@mock-accel/sysfs-client)");
        console.log(guestTable(devices));
        const first = devices.find((d) => d.kind === "vf") ?? devices[0];
        if (first) {
          console.log(`\n      ResourceSlice entry for ${first.name} (resource.k8s.io/v1):`);
          for (const [k, v] of Object.entries(first.dra.attributes)) console.log(`        ${k}: ${draValue(v)}`);
          for (const [k, v] of Object.entries(first.dra.capacity)) console.log(`        capacity ${k}: ${v.value}`);
        }
      }

      console.log("\n      Attach these devices to your own VM: add its disk (or -kernel and -initrd) to this command.");
      if (!qemu) console.log("      (no QEMU with vfio-user-pci here yet: `bash scripts/install-qemu-vfio-user.sh -v` prints the path to use instead of qemu-system-x86_64)");
      // Not indented: the command is for pasting as it is.
      console.log(`${qemu ? shellQuote(qemu) : "qemu-system-x86_64"} \\\n${formatArgs(qemuArgs(vm, { transport: "vfio-user", runDir }))}`);

      const withCluster = !values["no-guest"] && !values["no-cluster"];
      step(7, "Build Kubernetes from its Go modules (kube-apiserver, scheduler, kubelet, etcd, Helm)", withCluster ? "20 to 40 min the first time on 2 cores (about 8 GB of Go caches), instant once built" : undefined);
      if (!withCluster) console.log(`      skipped (${values["no-guest"] ? "--no-guest" : "--no-cluster"})`);
      else await runVerbose("scripts/install-kubernetes.sh", "bash", [INSTALL_SCRIPT, "-v"]);

      step(8, "A Kubernetes cluster whose node is this VM; a Pod gets a mock accelerator", withCluster ? "about 35 s to build the node image the first time, then about a minute (up to 3 on a loaded machine) under TCG until the node is Ready and the driver has published its devices" : undefined);
      if (!withCluster) console.log(`      skipped (${values["no-guest"] ? "--no-guest" : "--no-cluster"})`);
      else {
        if (!values.keep) console.log("      (the cluster stops when the demo ends: run it with --keep to leave it up)");
        // The cluster serves its own devices for its VM; the ones from step 3 have done their job.
        await running.close();
        running = null;
        cluster = await withHeartbeat("cluster up", async (beat) => {
          const images = await buildNodeImages({ onProgress: (l) => beat.line(l) });
          return startVmCluster({ topologyFile: TOPOLOGY, runDir: join(runDir, "cluster"), images: Object.values(images).map((i) => i.archive), onProgress: (l) => beat.line(l) });
        });
        const kubectl = cluster.controlPlane.binaries.kubectl;
        const env = { ...process.env, KUBECONFIG: cluster.kubeconfig };
        const pod = join(repoRoot, "examples", "pods", "one-pf.yaml");
        console.log(`\n      $ kubectl apply -f examples/pods/one-pf.yaml`);
        const kube = async (args: string[]) => {
          const r = await run(kubectl, args, { env, timeoutMs: 300_000 });
          if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${(r.stderr || r.stdout).trim()}`);
          return r.stdout;
        };
        for (const line of (await kube(["apply", "-f", pod])).trim().split("\n")) console.log(`      ${line}`);
        const t0 = performance.now();
        await withHeartbeat("the Pod", () => kube(["wait", "-n", "mock-accel-one-pf", "--for=condition=Ready", "pod/one-pf", "--timeout=300s"]));
        console.log(`      Running after ${seconds(performance.now() - t0)}`);
        // Until the whole report is there; a kubelet still waiting for its serving certificate
        // refuses the API server's log request for a few seconds.
        let log = "";
        let lastError = "";
        for (let i = 0; i < 60 && !log.includes("mock-accel: end"); i++) {
          const r = await run(kubectl, ["logs", "-n", "mock-accel-one-pf", "one-pf"], { env, timeoutMs: 30_000 });
          if (r.code === 0) log = r.stdout;
          else lastError = r.stderr.trim();
          if (!log.includes("mock-accel: end")) await Bun.sleep(1000);
        }
        if (!log.includes("mock-accel: end")) throw new Error(`kubectl logs -n mock-accel-one-pf one-pf: ${lastError || "the report never ended"}`);
        console.log(`\n      KUBECONFIG=${cluster.kubeconfig} (kubectl: ${kubectl})`);
        console.log("      $ kubectl logs -n mock-accel-one-pf one-pf");
        for (const line of log.trim().split("\n")) console.log(`      ${line}`);
      }
      if (values.keep) {
        console.log(`\n${cluster ? "The cluster and its devices stay" : "Devices stay"} up (--keep); everything is in ${runDir}. Ctrl-C stops them.`);
        await new Promise<void>((resolve) => (keepWaiting = resolve));
      } else if (!cluster) console.log("\n(The devices stop when the demo ends: run it with --keep to leave them up.)");
      return 0;
    } catch (err) {
      console.error(`\nmock-accel demo: ${(err as Error).message}`);
      return 1;
    } finally {
      const keepAlive = setInterval(() => {}, 1000);
      await running?.close();
      await cluster?.stop();
      clearInterval(keepAlive);
      if (ownRunDir) rmSync(runDir, { recursive: true, force: true });
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  },
};
