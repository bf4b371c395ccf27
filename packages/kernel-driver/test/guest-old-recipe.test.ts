// The old mock-device README's SR-IOV recipe, as its users wrote it: a PF served with
// `--total-vfs 4` and four VFs served with `--vf` and no index, wired by QEMU at functions
// 0.1..0.4 of the PF's slot. The old driver numbered a VF by its PCI function; so does this
// one when the server leaves VF_INDEX unset, so enabling 2 and then 4 VFs shows mock0_vf0..3.
// A VF without an index at function 0 (where no index follows) is refused, saying what to add.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertAvailable, requirement } from "@mock-accel/testkit";
import { findVfioUserQemu, guestKernelLogProblems } from "@mock-accel/vm-harness";
import { LIBVFIO_USER_INSTALL_COMMAND, libvfioUserInstalled, parseServeArgs, uuidToCanonical, VfioUserHost, type ServeOptions } from "@mock-accel/server";
import { pfDeviceName, SYSFS_CLASS, vfDeviceName } from "@mock-accel/sysfs-client";
import { runModuleGuest, type GuestRun } from "./guest.ts";
import { guestTools, kernelHeaders } from "./requirements.ts";
import { MODULE_NAME } from "../src/index.ts";

const libvfioUser = requirement("libvfio-user", libvfioUserInstalled(), LIBVFIO_USER_INSTALL_COMMAND);
const qemuPath = await findVfioUserQemu({ install: false });
const vfioUserQemu = requirement("a QEMU with vfio-user-pci (>= 10.1)", qemuPath !== null, "scripts/install-qemu-vfio-user.sh");
const skip = kernelHeaders.skip || guestTools.skip || libvfioUser.skip || vfioUserQemu.skip;

/** The old README's server command lines (after `./vfio-user/mock-accel-server`), socket last. */
const OLD_RECIPE = [
  ["-u", "MOCK-PF-0", "-m", "16G", "--total-vfs", "4", "pf"],
  ["-u", "MOCK-VF-0", "-m", "2G", "--vf", "vf0"],
  ["-u", "MOCK-VF-1", "-m", "2G", "--vf", "vf1"],
  ["-u", "MOCK-VF-2", "-m", "2G", "--vf", "vf2"],
  ["-u", "MOCK-VF-3", "-m", "2G", "--vf", "vf3"],
] as const;

/** A VF served without --vf-index, alone at function 0 of a second root port. */
const LONE_VF = ["--vf", "lone"] as const;

const SCRIPT = `
C=/sys/class/${SYSFS_CLASS}
section insmod
insmod /${MODULE_NAME}.ko && echo insmod-ok
section initial
ls $C/
cat $C/${pfDeviceName(0)}/sriov_totalvfs
section two
echo 2 > $C/${pfDeviceName(0)}/sriov_numvfs && echo enabled
ls $C/
section four
echo 4 > $C/${pfDeviceName(0)}/sriov_numvfs && echo enabled
for d in $C/*_vf*; do echo "$(basename $d) $(basename $(readlink $d/device)) $(cat $d/vf_index) $(cat $d/uuid)"; done
section off
echo 0 > $C/${pfDeviceName(0)}/sriov_numvfs && echo disabled
ls $C/
section lone
ls /sys/bus/pci/drivers/mock-accel/ | grep -c 0000:12:00.0
section dmesg
dmesg
`;

describe.skipIf(skip)("the old README's SR-IOV recipe: four VFs served without --vf-index", () => {
  let run: GuestRun;
  let host: VfioUserHost | undefined;
  let sockDir: string;
  let served: ServeOptions[];
  let lone: ServeOptions;

  beforeAll(async () => {
    for (const r of [kernelHeaders, guestTools, libvfioUser, vfioUserQemu]) assertAvailable(r);
    sockDir = mkdtempSync(join(tmpdir(), "mock-accel-old-recipe-"));
    const parse = (argv: readonly string[]) => {
      const parsed = parseServeArgs([...argv.slice(0, -1), join(sockDir, `${argv.at(-1)}.sock`)]);
      if (parsed.help) throw new Error("unexpected --help");
      return parsed;
    };
    served = OLD_RECIPE.map(parse);
    lone = parse(LONE_VF);
    host = await VfioUserHost.start();
    for (const [i, s] of served.entries()) await host.addDevice({ socketPath: s.socketPath, kind: s.kind, config: s.config, multifunction: i === 0 });
    await host.addDevice({ socketPath: lone.socketPath, kind: lone.kind, config: lone.config });
    const dev = (s: ServeOptions, fn: number, bus = "rp0") =>
      JSON.stringify({ driver: "vfio-user-pci", socket: { path: s.socketPath, type: "unix" }, bus, addr: `0.${fn}`, ...(fn === 0 && bus === "rp0" ? { multifunction: true } : {}) });
    run = await runModuleGuest({
      qemu: qemuPath!,
      script: SCRIPT,
      timeoutMs: 200_000,
      machine: ["-machine", "q35", "-m", "512M", "-smp", "1", "-object", "memory-backend-memfd,id=m0,size=512M,share=on", "-numa", "node,nodeid=0,cpus=0,memdev=m0"],
      extraArgs: [
        "-device", "pxb-pcie,bus_nr=16,id=pci.10,numa_node=0,bus=pcie.0",
        "-device", "pcie-root-port,id=rp0,bus=pci.10,chassis=1",
        "-device", "pcie-root-port,id=rp1,bus=pci.10,chassis=2",
      ],
      devices: [...served.map((s, fn) => dev(s, fn)), dev(lone, 0, "rp1")],
    });
  });

  afterAll(async () => {
    await host?.close();
    if (sockDir) rmSync(sockDir, { recursive: true, force: true });
  });

  const lines = (section: string) => (run.sections[section] ?? "").trim().split("\n").filter((l) => !/^\[\s*\d+\.\d+\] /.test(l));
  const listing = (section: string) => lines(section).slice(1).join(" ").split(/\s+/).filter((n) => n !== "").sort();

  it("boots and binds the PF, which shows the 4 VFs it was served with", () => {
    expect(run.timedOut, run.serial).toBe(false);
    expect(run.exitCode, run.serial).toBe(0);
    expect(lines("insmod")).toEqual(["insmod-ok"]);
    expect(lines("initial")).toEqual([pfDeviceName(0), "4"]);
  });

  it("enabling 2 VFs shows mock0_vf0 and mock0_vf1 (the old README's listing)", () => {
    expect(lines("two")[0]).toBe("enabled");
    expect(listing("two")).toEqual([pfDeviceName(0), vfDeviceName(0, 0), vfDeviceName(0, 1)]);
  });

  it("enabling 4 shows every VF, numbered by its PCI function, each with the UUID its -u label gives", () => {
    expect(lines("four")[0]).toBe("enabled");
    const rows = lines("four").slice(1);
    expect(rows).toEqual(served.slice(1).map((s, i) => `${vfDeviceName(0, i)} 0000:11:00.${i + 1} ${i} ${uuidToCanonical(s.config.uuid)}`));
  });

  it("a VF without an index at function 0 is not bound, and the log says what to add", () => {
    expect(lines("lone")).toEqual(["0"]);
    expect(run.sections.dmesg).toMatch(/mock-accel 0000:12:00\.0: error -ENODEV: VF at function 0 has no VF_INDEX: serve it with --vf-index N, or place VF N at function N\+1/);
  });

  it("disabling hides them again, and the kernel log has no warning, BUG or oops", () => {
    expect(lines("off")).toEqual(["disabled", pfDeviceName(0)]);
    expect(guestKernelLogProblems(run.sections.dmesg!)).toEqual([]);
  });
});
