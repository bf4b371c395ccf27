// The module in a Debian guest against devices the Bun server serves over vfio-user-pci (QEMU
// from scripts/install-qemu-vfio-user.sh): a PF with 2 static VFs behind a pxb-pcie on NUMA
// node 0 and a PF on NUMA node 1. Probe binds every function, and what the driver shows is
// what the server was configured with.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { assertAvailable, requirement } from "@mock-accel/testkit";
import { findVfioUserQemu, guestKernelLogProblems } from "@mock-accel/vm-harness";
import {
  buildDeviceConfig,
  LIBVFIO_USER_INSTALL_COMMAND,
  uuidToCanonical,
  VfioUserHost,
  type HostRegisterWriteEvent, libvfioUserInstalled } from "@mock-accel/server";
import { runModuleGuest, type GuestRun } from "./guest.ts";
import { gcc, guestTools, kernelHeaders } from "./requirements.ts";
import { DEVICE_NAMES, expanderBusNumber, guestFunctionAddress, parseDeviceName, pfDeviceName, SYSFS_CLASS, vfDeviceName } from "@mock-accel/sysfs-client";
import { buildIoctlClient, FIRMWARE_NAME, FIRMWARE_PATH, MODULE_NAME } from "../src/index.ts";

/** The spec's name templates in shell: $N0 is $pf0's number, $V1 its VF 1. */
const PF_PREFIX = DEVICE_NAMES.pf.replace("{pf}", "");
const SHELL_V1 = DEVICE_NAMES.vf.replace("{pf}", "${N0}").replace("{vf}", "1");

const libvfioUser = requirement(
  "libvfio-user",
  libvfioUserInstalled(),
  LIBVFIO_USER_INSTALL_COMMAND,
);
const qemuPath = await findVfioUserQemu({ install: false });
const vfioUserQemu = requirement("a QEMU with vfio-user-pci (>= 10.1)", qemuPath !== null, "scripts/install-qemu-vfio-user.sh");
const skip = kernelHeaders.skip || guestTools.skip || libvfioUser.skip || vfioUserQemu.skip || gcc.skip;

/** Where the guest puts function `fn` of the first PF on a NUMA node (the one bus numbering rule). */
const guestAddr = (numaNode: number, fn = 0) => guestFunctionAddress(numaNode, 0, "vfio-user", fn);
const PF0 = guestAddr(0);
const PF1 = guestAddr(1);

/** What the server is told, per PCI function the guest will see. */
const FUNCTIONS = [
  { addr: PF0, sock: "pf0", numa: 0, opts: { kind: "pf", uuid: "e2e-pf0", totalVfs: 2 } },
  { addr: guestAddr(0, 1), sock: "pf0vf0", numa: 0, opts: { kind: "vf", uuid: "e2e-pf0-vf0", vfIndex: 0 } },
  { addr: guestAddr(0, 2), sock: "pf0vf1", numa: 0, opts: { kind: "vf", uuid: "e2e-pf0-vf1", vfIndex: 1, memorySize: "3G" } },
  {
    addr: PF1,
    sock: "pf1",
    numa: 1,
    opts: { kind: "pf", uuid: "5c7e0d3a-1f2b-4c5d-8e9f-0a1b2c3d4e5f", memorySize: "8G", capabilities: 0xb, fwVersion: 0x020304 },
  },
] as const;

/** Dump every class device as `attr <name> <pci> <attribute>=<value>` lines. */
const DUMP = (label: string) => `
section ${label}
for d in $C/*; do
  [ -e "$d" ] || continue
  n=$(basename $d); pci=$(basename $(readlink $d/device))
  for a in $d/*; do
    [ -f $a ] && [ -r $a ] && [ "$(basename $a)" != uevent ] && echo "attr $n $pci $(basename $a)=$(cat $a)"
  done
done
`;

const SCRIPT = `
CLASS=${SYSFS_CLASS}; C=/sys/class/$CLASS
section bus
for d in /sys/bus/pci/devices/*; do echo "pci $(basename $d) $(cat $d/vendor) $(cat $d/device) $(cat $d/numa_node)"; done
section insmod
insmod /${MODULE_NAME}.ko && echo insmod-ok
section bound
ls /sys/bus/pci/drivers/mock-accel/ | grep :
${DUMP("initial")}
pf0=$(ls /sys/bus/pci/devices/${PF0}/$CLASS/)
pf1=$(ls /sys/bus/pci/devices/${PF1}/$CLASS/)
echo "names $pf0 $pf1"
N0=\${pf0#${PF_PREFIX}}; V1=${SHELL_V1}
section status
echo 0x5 > $C/$pf1/status && echo written
cat $C/$pf1/status
/mock-accel-ioctl status /dev/$pf1
echo bogus > $C/$pf1/status 2>/dev/null || echo rejected
cat $C/$pf1/status
section numvfs-bad
echo 3 > $C/$pf0/sriov_numvfs 2>/dev/null || echo rejected-3
echo 1 > $C/$pf1/sriov_numvfs 2>/dev/null || echo rejected-pf1
cat $C/$pf0/sriov_numvfs
section numvfs-2
echo 2 > $C/$pf0/sriov_numvfs && echo enabled
ls $C/
ls -1 /dev | grep '^${PF_PREFIX}[0-9]'
${DUMP("with-vfs")}
section vf-ioctl
/mock-accel-ioctl status /dev/$V1
/mock-accel-ioctl passphrase /dev/$V1 12
section rebind
echo ${PF0} > /sys/bus/pci/drivers/mock-accel/unbind && echo unbound
ls $C/
echo ${PF0} > /sys/bus/pci/drivers/mock-accel/bind && echo bound
ls $C/
section numvfs-0
echo 0 > $C/$pf0/sriov_numvfs && echo disabled
ls $C/
section passphrase-sysfs
echo 5 > $C/$pf0/passphrase_length
echo 1 > $C/$pf0/passphrase_generate
for i in 1 2 3 4 5 6 7 8 9 10; do [ "$(cat $C/$pf0/passphrase_status)" = ready ] && break; sleep 0.2; done
cat $C/$pf0/passphrase_status
cat $C/$pf0/passphrase_count
cat $C/$pf0/passphrase
section ioctl
/mock-accel-ioctl passphrase /dev/$pf0 0
/mock-accel-ioctl passphrase /dev/$pf0 4
/mock-accel-ioctl bad /dev/$pf0
section summary
cat /dev/$pf1
section chunked
[ "$(dd if=/dev/$pf1 bs=5 2>/dev/null | md5sum)" = "$(cat /dev/$pf1 | md5sum)" ] && echo same
section open-unbind
exec 3< /dev/$pf1
rmmod ${MODULE_NAME} 2>/dev/null || echo rmmod-busy
echo ${PF1} > /sys/bus/pci/drivers/mock-accel/unbind && echo unbound
cat <&3 >/dev/null 2>&1 || echo read-refused
exec 3<&-
echo ${PF1} > /sys/bus/pci/drivers/mock-accel/bind && echo bound
[ -e $C/$pf1 ] && echo back
section reload
echo 1 > $C/$pf0/load_wordlist && echo reloaded
echo 2 > $C/$pf0/load_wordlist 2>/dev/null || echo rejected
cat $C/$pf0/wordlist_loaded $C/$pf0/wordlist_size
section nofw
rmmod ${MODULE_NAME}
mv /lib/firmware/${FIRMWARE_NAME} /tmp/wordlist.txt
insmod /${MODULE_NAME}.ko && echo insmod-ok
pf1=$(ls /sys/bus/pci/devices/${PF1}/$CLASS/)
cat $C/$pf1/wordlist_loaded $C/$pf1/wordlist_size
/mock-accel-ioctl passphrase /dev/$pf1 4
echo 1 > $C/$pf1/load_wordlist 2>/dev/null || echo reload-failed
mv /tmp/wordlist.txt /lib/firmware/${FIRMWARE_NAME}
echo 1 > $C/$pf1/load_wordlist && echo reloaded
cat $C/$pf1/wordlist_loaded
/mock-accel-ioctl passphrase /dev/$pf1 4 | cut -d' ' -f1
section rmmod
rmmod ${MODULE_NAME} && echo rmmod-ok
ls /sys/class | grep -c ${SYSFS_CLASS}
ls /sys/bus/pci/drivers | grep -c mock-accel
section dmesg
dmesg
`;

type Attrs = Map<string, { pci: string; attrs: Record<string, string> }>;
function parseDump(text: string): Attrs {
  const out: Attrs = new Map();
  for (const line of text.split("\n")) {
    const m = /^attr (\S+) (\S+) ([a-z_]+)=(.*)$/.exec(line);
    if (!m) continue;
    const [, name, pci, attr, value] = m as unknown as [string, string, string, string, string];
    if (!out.has(name)) out.set(name, { pci, attrs: {} });
    out.get(name)!.attrs[attr] = value;
  }
  return out;
}

describe.skipIf(skip)("mock_accel.ko against vfio-user devices served by the Bun server", () => {
  let run: GuestRun;
  let host: VfioUserHost | undefined;
  let sockDir: string;
  let ioctlClient: string;
  const writes: HostRegisterWriteEvent[] = [];
  const configs = FUNCTIONS.map((f) => ({ ...f, config: buildDeviceConfig({ ...f.opts }) }));
  const byPci = new Map<string, (typeof configs)[number]>(configs.map((c) => [c.addr, c]));
  const words = new Set(readFileSync(FIRMWARE_PATH, "utf8").trimEnd().split("\n"));

  beforeAll(async () => {
    for (const r of [kernelHeaders, guestTools, libvfioUser, vfioUserQemu, gcc]) assertAvailable(r);
    sockDir = mkdtempSync(join(tmpdir(), "mock-accel-vfu-"));
    ioctlClient = buildIoctlClient();
    host = await VfioUserHost.start();
    host.on("register-write", (e) => writes.push(e));
    for (const c of configs) {
      await host.addDevice({ socketPath: join(sockDir, `${c.sock}.sock`), kind: c.opts.kind, config: c.config, multifunction: c.sock === "pf0" });
    }
    const dev = (sock: string, bus: string, addr: string, multifunction = false) =>
      JSON.stringify({ driver: "vfio-user-pci", socket: { path: join(sockDir, `${sock}.sock`), type: "unix" }, bus, addr, ...(multifunction ? { multifunction: true } : {}) });
    run = await runModuleGuest({
      qemu: qemuPath!,
      script: SCRIPT,
      files: { "/mock-accel-ioctl": { content: readFileSync(ioctlClient), mode: 0o755 } },
      timeoutMs: 200_000,
      // Two NUMA nodes, one pxb-pcie expander each (DESIGN.md "Guest test recipe").
      machine: [
        "-machine", "q35", "-m", "512M", "-smp", "1",
        "-object", "memory-backend-memfd,id=m0,size=256M,share=on", "-numa", "node,nodeid=0,cpus=0,memdev=m0",
        "-object", "memory-backend-memfd,id=m1,size=256M,share=on", "-numa", "node,nodeid=1,memdev=m1",
      ],
      extraArgs: [
        "-device", `pxb-pcie,id=pxb0,bus_nr=${expanderBusNumber(0)},numa_node=0,bus=pcie.0`,
        "-device", `pxb-pcie,id=pxb1,bus_nr=${expanderBusNumber(1)},numa_node=1,bus=pcie.0`,
        "-device", "pcie-root-port,id=rp0,bus=pxb0,chassis=1",
        "-device", "pcie-root-port,id=rp1,bus=pxb1,chassis=2",
      ],
      devices: [dev("pf0", "rp0", "0.0", true), dev("pf0vf0", "rp0", "0.1"), dev("pf0vf1", "rp0", "0.2"), dev("pf1", "rp1", "0.0")],
    });
  });

  afterAll(async () => {
    await host?.close();
    if (sockDir) rmSync(sockDir, { recursive: true, force: true });
    if (ioctlClient) rmSync(dirname(ioctlClient), { recursive: true, force: true });
  });

  const names = () => {
    const m = /^names (\S+) (\S+)$/m.exec(run.scriptOutput);
    if (!m) throw new Error(`the guest printed no class device names:\n${run.serial}`);
    return { pf0: m[1]!, pf1: m[2]! };
  };

  it("boots, and the guest sees every function with the server's IDs on its NUMA node", () => {
    expect(run.timedOut, run.serial).toBe(false);
    expect(run.exitCode, run.serial).toBe(0);
    for (const c of configs) {
      const id = c.opts.kind === "pf" ? "0x0001" : "0x0002";
      expect(run.sections.bus).toContain(`pci ${c.addr} 0x1de5 ${id} ${c.numa}`);
    }
  });

  it("probe binds every function and shows PFs as mockN, VFs hidden while sriov_numvfs is 0", () => {
    expect(run.sections.insmod).toContain("insmod-ok");
    expect(run.sections.bound!.trim().split("\n").sort()).toEqual(configs.map((c) => c.addr).sort());
    const { pf0, pf1 } = names();
    expect([pf0, pf1].sort()).toEqual([pfDeviceName(0), pfDeviceName(1)]);
    expect([...parseDump(run.sections.initial!).keys()].sort()).toEqual([pfDeviceName(0), pfDeviceName(1)]);
  });

  it("every register-backed attribute reads what the server was configured with (16 GiB included)", () => {
    const seen = [...parseDump(run.sections.initial!), ...parseDump(run.sections["with-vfs"]!)];
    expect(seen.length).toBe(2 + 4);
    for (const [name, { pci, attrs }] of seen) {
      const c = byPci.get(pci)!;
      expect(c, `${name} is on ${pci}`).toBeDefined();
      const cfg = c.config;
      const fw = Number(cfg.fw_version);
      expect(attrs.uuid, name).toBe(uuidToCanonical(cfg.uuid));
      expect(attrs.memory_size, name).toBe(String(cfg.memory_size));
      expect(attrs.capabilities, name).toBe(`0x${Number(cfg.capabilities).toString(16).padStart(8, "0")}`);
      expect(attrs.fw_version, name).toBe(`${(fw >> 16) & 0xff}.${(fw >> 8) & 0xff}.${fw & 0xff}`);
      expect(attrs.numa_node, name).toBe(String(c.numa));
      expect(attrs.passphrase_length, name).toBe("6");
      expect(attrs.wordlist_loaded, name).toBe("1");
      expect(attrs.wordlist_size, name).toBe(String(words.size));
      if (c.opts.kind === "pf") {
        expect(attrs.sriov_totalvfs, name).toBe(String(cfg.total_vfs));
        expect(attrs.vf_index, name).toBeUndefined();
      } else {
        expect(attrs.vf_index, name).toBe(String(cfg.vf_index));
        expect(attrs.sriov_totalvfs, name).toBeUndefined();
      }
    }
    const pf0 = seen.find(([, v]) => v.pci === PF0)![1];
    expect(pf0.attrs.memory_size).toBe("17179869184");
  });

  it("a status write from the guest reaches the server; bad input is refused and changes nothing", () => {
    expect(run.sections.status!.trim().split("\n")).toEqual(["written", "0x00000005", "0x00000005", "rejected", "0x00000005"]);
    const statusWrites = writes.filter((w) => w.name === "STATUS");
    expect(statusWrites.map((w) => [w.socketPath.endsWith("/pf1.sock"), w.value])).toEqual([[true, 5n]]);
  });

  it("sriov_numvfs 2 shows mockN_vf0 and mockN_vf1, 0 hides them, and the server sees SRIOV_NUM_VFS change", () => {
    const { pf0 } = names();
    expect(run.sections["numvfs-bad"]!.trim().split("\n")).toEqual(["rejected-3", "rejected-pf1", "0"]);
    expect(run.sections["numvfs-2"]).toContain("enabled");
    const withVfs = parseDump(run.sections["with-vfs"]!);
    expect(withVfs.get(vfDeviceName(parseDeviceName(pf0)!.pf, 0))?.pci).toBe(guestAddr(0, 1));
    expect(withVfs.get(vfDeviceName(parseDeviceName(pf0)!.pf, 1))?.pci).toBe(guestAddr(0, 2));
    expect(withVfs.get(pf0)?.attrs.sriov_numvfs).toBe("2");
    expect(run.sections["numvfs-2"]).toMatch(new RegExp(`^${vfDeviceName(parseDeviceName(pf0)!.pf, 1)}$`, "m")); // /dev node
    expect(run.sections["numvfs-0"]).toContain("disabled");
    expect(run.sections["numvfs-0"]!.trim().split("\n").slice(1).join(" ").split(/\s+/).sort()).toEqual([pfDeviceName(0), pfDeviceName(1)]);
    const numVfs = writes.filter((w) => w.name === "SRIOV_NUM_VFS" && w.socketPath.endsWith("/pf0.sock")).map((w) => w.value);
    expect(numVfs).toEqual([2n, 0n]);
  });

  it("unbinding the PF hides its VFs; binding it again (VFs already bound) shows them again", () => {
    const { pf0, pf1 } = names();
    const lines = run.sections.rebind!.trim().split("\n");
    const listing = (from: number, to: number) => lines.slice(from, to).join(" ").split(/\s+/).sort();
    expect(lines[0]).toBe("unbound");
    const boundAt = lines.indexOf("bound");
    expect(listing(1, boundAt)).toEqual([pf1]);
    expect(listing(boundAt + 1, lines.length)).toEqual([pf0, vfDeviceName(parseDeviceName(pf0)!.pf, 0), vfDeviceName(parseDeviceName(pf0)!.pf, 1), pf1].sort());
  });

  it("the server's passphrase generator works through sysfs", () => {
    const [status, count, phrase] = run.sections["passphrase-sysfs"]!.trim().split("\n");
    expect(status).toBe("ready");
    expect(count).toBe("5");
    const got = phrase!.split(" ");
    expect(got.length).toBe(5);
  });

  it("the character device's ioctls give STATUS and wordlist passphrases, and refuse bad arguments", () => {
    const [six, four] = run.sections.ioctl!.trim().split("\n");
    for (const [line, n] of [[six, 6], [four, 4]] as const) {
      const [count, phrase] = line!.split(" ");
      expect(count).toBe(String(n));
      const got = phrase!.split("-");
      expect(got.length).toBe(n);
      for (const w of got) expect(words.has(w), w).toBe(true);
    }
    expect(run.sections.ioctl).toContain("words13 EINVAL\nwords255 EINVAL\nflags EINVAL\nreserved EINVAL\npassphrase-null EFAULT\nstatus-null EFAULT\nunknown ENOTTY\n");
    const [vfStatus, vfPhrase] = run.sections["vf-ioctl"]!.trim().split("\n");
    expect(vfStatus).toBe("0x00000000");
    expect(vfPhrase!.split(" ")[0]).toBe("12");
    expect(vfPhrase!.split(" ")[1]!.split("-").length).toBe(12);
  });

  it("reading the character device gives a summary of the device", () => {
    const pf1 = configs[3]!;
    const s = run.sections.summary!;
    expect(s).toContain(`uuid: ${uuidToCanonical(pf1.config.uuid)}`);
    expect(s).toContain("memory_size: 8589934592 (8192 MiB)");
    expect(s).toContain("status: 0x00000005");
    expect(s).toContain("numa_node: 1");
    expect(s).toContain("fw_version: 2.3.4");
    expect(s).toContain(`wordlist: loaded, ${words.size} words`);
  });

  it("reads in small pieces give the same summary; an open file survives its device being unbound", () => {
    expect(run.sections.chunked!.trim()).toBe("same");
    expect(run.sections["open-unbind"]!.trim().split("\n").filter((l) => !/^\[\s*\d+\.\d+\] /.test(l))).toEqual([
      "rmmod-busy",
      "unbound",
      "read-refused",
      "bound",
      "back",
    ]);
  });

  it("load_wordlist reloads the firmware and refuses anything but 1", () => {
    expect(run.sections.reload!.trim().split("\n")).toEqual(["reloaded", "rejected", "1", String(words.size)]);
  });

  it("without the firmware, probe still binds (with a warning), passphrase ioctls say ENODATA, and load_wordlist recovers", () => {
    // Debian's kernel logs every firmware load failure on the console, amid the script's output.
    const lines = run.sections.nofw!.trim().split("\n").filter((l) => !/^\[\s*\d+\.\d+\] /.test(l));
    expect(lines).toEqual(["insmod-ok", "0", "0", "error ENODATA", "reload-failed", "reloaded", "1", "4"]);
    expect(run.sections.dmesg).toContain(`mock-accel ${PF1}: firmware ${FIRMWARE_NAME} not loaded (-2)`);
  });

  it("rmmod is clean and the kernel log has no warning, BUG or oops", () => {
    expect(run.sections.rmmod!.trim().split("\n")).toEqual(["rmmod-ok", "0", "0"]);
    expect(run.sections.dmesg).toContain(`${pfDeviceName(1)} bound`);
    expect(guestKernelLogProblems(run.sections.dmesg!)).toEqual([]);
  });
});
