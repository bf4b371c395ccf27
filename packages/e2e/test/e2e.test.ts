// Every layer at once, over both transports: the Bun server serves examples/demo.yaml's VM (a
// PF with 2 VFs on NUMA node 0, a PF on node 1), QEMU boots a Debian guest with the module
// built from this tree, and one guest script does everything a DRA driver and an operator
// would. One boot per transport; every test below reads what that boot printed and what the
// server saw while it ran.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { assertAvailable, type Requirement } from "@mock-accel/testkit";
import { effWords, PCI, uuidToCanonical } from "@mock-accel/server";
import { createFakeSysfs, parseDeviceName, pfDeviceName, SYSFS_CLASS, vfDeviceName, type FakePf } from "@mock-accel/sysfs-client";
import { guestKernelLogProblems } from "@mock-accel/vm-harness";
import { DUMP_SCRIPT, GUEST, goDiscoverProgram, guestArtifacts, type GuestArtifacts } from "@mock-accel/guest-image";
import { runGuest, type GuestRunResult, type Transport } from "../src/index.ts";
import { goToolchain, guestBuild, libvfioUser, proxyQemu, proxyQemuPath, vfioUserQemu, vfioUserQemuPath } from "../src/requirements.ts";

interface Case {
  transport: Transport;
  qemu: string | null;
  needs: Requirement[];
}

const CASES: Case[] = [
  { transport: "proxy", qemu: proxyQemuPath, needs: [guestBuild, proxyQemu] },
  { transport: "vfio-user", qemu: vfioUserQemuPath, needs: [guestBuild, vfioUserQemu, libvfioUser] },
];

const EFF = new Set(effWords());

/** What the typed client printed (discover mode): one object per class device. */
interface Discovered {
  name: string;
  kind: "pf" | "vf";
  pciAddress: string;
  numaNode: number;
  vendorId: number;
  deviceId: number;
  classCode: number;
  vfIndex: number | null;
  pf: { name: string | null; pciAddress: string } | null;
  attributes: Record<string, unknown>;
}

function discovered(r: GuestRunResult, section: string): Discovered[] {
  const line = (r.sections[section] ?? "").split("\n").find((l) => l.startsWith("["));
  if (!line) throw new Error(`section ${section} printed no JSON:\n${r.sections[section]}`);
  return JSON.parse(line) as Discovered[];
}

const lines = (text: string | undefined) => (text ?? "").split("\n").map((l) => l.trim()).filter((l) => l !== "");

let artifacts: Promise<GuestArtifacts> | undefined;
let goDiscover: Promise<string> | undefined;

describe.each(CASES)("end to end over $transport", ({ transport, qemu, needs }) => {
  const skip = needs.some((n) => n.skip);
  let r: GuestRunResult;

  beforeAll(async () => {
    if (skip) return;
    for (const n of needs) assertAvailable(n);
    artifacts ??= guestArtifacts();
    // The Go client runs in the same boot, next to the TypeScript one (sections dra-ts, dra-go);
    // without Go (on a laptop) the rest of the suite still runs.
    if (goToolchain.available) goDiscover ??= goDiscoverProgram();
    const go = goDiscover ? { goDiscover: true, extraFiles: { [GUEST.goDiscover]: await goDiscover } } : {};
    r = await runGuest({ transport, qemu: qemu!, artifacts: await artifacts, ...go });
    if (r.boot.exitCode === null) {
      throw new Error(`guest never finished (timed out: ${r.boot.timedOut}); QEMU stderr:\n${r.boot.stderr}\nserial tail:\n${r.boot.serial.slice(-3000)}`);
    }
  });

  /** The served device behind a discovered one: same NUMA node, kind and VF index. */
  const servedFor = (d: Discovered) => {
    const s = r.served.find((x) => x.device.numaNode === d.numaNode && x.device.kind === d.kind && (x.device.vfIndex ?? null) === d.vfIndex);
    if (!s) throw new Error(`no served device for ${d.name} (node ${d.numaNode}, ${d.kind}, vf ${d.vfIndex})`);
    return s;
  };

  test.skipIf(skip)("the guest runs every step and powers off with status 0", () => {
    expect(r.boot.timedOut).toBe(false);
    expect(r.boot.exitCode).toBe(0);
    expect(lines(r.sections.insmod)).toContain("insmod-ok");
  });

  test.skipIf(skip)("the guest's PCI bus has each served function with its IDs and NUMA node", () => {
    const pci = lines(r.sections.pci).map((l) => l.split(" "));
    const ours = pci.filter((p) => p[1] === "0x1de5");
    const want = r.served.map((s) => [s.device.kind === "pf" ? `0x${PCI.pfDeviceId.toString(16).padStart(4, "0")}` : `0x${PCI.vfDeviceId.toString(16).padStart(4, "0")}`, String(s.device.numaNode)]);
    expect(ours.map((p) => [p[2], p[3]]).sort()).toEqual(want.sort());
  });

  test.skipIf(skip)("the typed sysfs client reports exactly what the server was told", () => {
    const before = discovered(r, "discover");
    expect(before.map((d) => d.kind)).toEqual(["pf", "pf"]); // VFs hidden until sriov_numvfs
    const all = discovered(r, "discover-vfs");
    expect(all).toHaveLength(r.served.length);
    for (const d of all) {
      const s = servedFor(d);
      const a = d.attributes;
      expect(a.uuid, d.name).toBe(uuidToCanonical(s.config.uuid));
      expect(a.uuid, d.name).toBe(s.uuid);
      expect(BigInt(a.memory_size as string), d.name).toBe(s.config.memory_size);
      expect(a.capabilities, d.name).toBe(Number(s.config.capabilities));
      const fw = Number(s.config.fw_version);
      expect(a.fw_version, d.name).toEqual({ major: (fw >> 16) & 0xff, minor: (fw >> 8) & 0xff, patch: fw & 0xff });
      expect(d.numaNode, d.name).toBe(s.device.numaNode);
      expect(a.numa_node, d.name).toBe(s.device.numaNode);
      expect(d.vendorId, d.name).toBe(PCI.vendorId);
      expect(d.deviceId, d.name).toBe(d.kind === "pf" ? PCI.pfDeviceId : PCI.vfDeviceId);
      expect(d.classCode, d.name).toBe(PCI.classCode);
      if (d.kind === "pf") {
        expect(parseDeviceName(d.name), d.name).toMatchObject({ vf: null });
        expect(a.sriov_totalvfs, d.name).toBe(Number(s.config.total_vfs));
      } else {
        const pf = all.find((p) => p.kind === "pf" && p.numaNode === d.numaNode)!;
        expect(d.pf?.name, d.name).toBe(pf.name);
        expect(d.name).toBe(vfDeviceName(parseDeviceName(pf.name)!.pf, d.vfIndex!));
        expect(a.vf_index, d.name).toBe(s.device.vfIndex);
      }
    }
    // 16 GiB reads as 16 GiB (the kernel reads MEMORY_SIZE as two 32-bit halves).
    expect(all.find((d) => d.kind === "pf" && d.numaNode === 0)!.attributes.memory_size).toBe(String(16n << 30n));
  });

  test.skipIf(skip || goToolchain.skip)("the Go client reads the guest's tree as the TypeScript client does: devices and DRA attributes", () => {
    assertAvailable(goToolchain);
    // TypeScript's `dra` mode also prints every attribute value; the Go view has the device
    // and its ResourceSlice entry, which is what both must agree on.
    const keys = ["name", "kind", "pciAddress", "numaNode", "vendorId", "deviceId", "classCode", "pcieRoot", "vfIndex", "pf", "path", "pciPath", "dra"];
    const pick = (d: Record<string, unknown>) => Object.fromEntries(keys.map((k) => [k, d[k]]));
    const ts = (discovered(r, "dra-ts") as unknown as Record<string, unknown>[]).map(pick);
    const go = (discovered(r, "dra-go") as unknown as Record<string, unknown>[]).map(pick);
    expect(ts).toHaveLength(r.served.length);
    expect(go).toEqual(ts);
    // The capability bools a claim's CEL selects on, from the served CAPABILITIES value.
    for (const d of go) {
      const s = servedFor(d as unknown as Discovered);
      const attrs = (d.dra as { attributes: Record<string, { bool?: boolean }> }).attributes;
      expect(attrs["mock-accel.example.com/compute"]?.bool, d.name as string).toBe((Number(s.config.capabilities) & 1) !== 0);
      expect(attrs["mock-accel.example.com/encryption"]?.bool, d.name as string).toBe((Number(s.config.capabilities) & 2) !== 0);
    }
  });

  test.skipIf(skip)("a status write in the guest lands in the server's STATUS register", () => {
    expect(lines(r.sections.status)).toEqual(["written", "0x00000001", "status 0x00000001", "rejected", "0x00000001"]);
    const node1 = r.served.find((s) => s.device.kind === "pf" && s.device.numaNode === 1)!;
    expect(r.writes.filter((w) => w.name === "STATUS")).toEqual([{ device: node1.device.id, name: "STATUS", value: 1n, previous: 0n }]);
    // Only the proxy host runs the device model in this process, so only it can be read back.
    if (transport === "proxy") {
      expect(r.registersAfter).not.toBeNull();
      expect(r.registersAfter![node1.device.id]!.STATUS).toBe(1n);
    }
  });

  test.skipIf(skip)("passphrase generation through sysfs gives the requested number of EFF words", () => {
    const out = lines(r.sections.passphrase);
    expect(out).toContain("generated");
    expect(out).toContain("status ready");
    expect(out).toContain("count 5");
    const words = out.find((l) => l.startsWith("text "))!.slice(5).split(" ");
    expect(words).toHaveLength(5);
    for (const w of words) expect(EFF.has(w), w).toBe(true);
    expect(out).toContain("length-13-rejected");
  });

  test.skipIf(skip)("sriov_numvfs 2 then 0 shows and hides the VFs, and the server sees SRIOV_NUM_VFS change", () => {
    const pf0 = parseDeviceName(discovered(r, "discover").find((d) => d.attributes.sriov_totalvfs === 2)!.name)!.pf;
    const pfs = [pfDeviceName(0), pfDeviceName(1)];
    expect(lines(r.sections["numvfs-2"])[0]).toBe("ok");
    expect(lines(r.sections["numvfs-2"]).slice(1).join(" ").split(/\s+/).sort()).toEqual([...pfs, vfDeviceName(pf0, 0), vfDeviceName(pf0, 1)].sort());
    expect(lines(r.sections["numvfs-0"]).slice(1).join(" ").split(/\s+/).sort()).toEqual(pfs);
    const node0 = r.served.find((s) => s.device.kind === "pf" && s.device.numaNode === 0)!;
    expect(r.writes.filter((w) => w.name === "SRIOV_NUM_VFS").map((w) => [w.device, w.previous, w.value])).toEqual([
      [node0.device.id, 0n, 2n],
      [node0.device.id, 2n, 0n],
    ]);
    if (transport === "proxy") {
      expect(r.registersAfter).not.toBeNull();
      expect(r.registersAfter![node0.device.id]!.SRIOV_NUM_VFS).toBe(0n);
    }
  });

  test.skipIf(skip)("the char device's ioctls: STATUS, passphrases from the firmware wordlist, EINVAL for 13 words", () => {
    const out = lines(r.sections.ioctl);
    expect(out[0]).toBe("status 0x00000000");
    const phrase = (line: string | undefined) => {
      const m = /^passphrase (\d+) (\S+)$/.exec(line ?? "");
      expect(m, line).not.toBeNull();
      const words = m![2]!.split("-");
      for (const w of words) expect(EFF.has(w), w).toBe(true);
      return { count: Number(m![1]), words: words.length };
    };
    expect(phrase(out[1])).toEqual({ count: 7, words: 7 });
    expect(phrase(out[2])).toEqual({ count: 6, words: 6 }); // 0 means the default, 6
    expect(out[3]).toBe("errno EINVAL");
    expect(r.sections["chardev-read"]).toMatch(/^status: 0x00000001$/m);
  });

  test.skipIf(skip)("createFakeSysfs writes the same tree for this topology as the guest shows", async () => {
    const all = discovered(r, "discover-vfs");
    const guestTree = lines(r.sections.tree);
    const major = Number(new RegExp(`^file ${pfDeviceName(0)}/dev \\d+ (\\d+):`, "m").exec(r.sections.tree ?? "")?.[1]);
    const pfs = all.filter((d) => d.kind === "pf").sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
    const fw = (v: bigint) => `${Number(v >> 16n) & 0xff}.${Number(v >> 8n) & 0xff}.${Number(v) & 0xff}`;
    // The topology, told to the fake the way a driver author would: names as the driver gave
    // them, values as the server was configured.
    const topology: FakePf[] = pfs.map((d) => {
      const s = servedFor(d);
      const vfs = all.filter((v) => v.kind === "vf" && v.pf?.name === d.name).sort((a, b) => a.vfIndex! - b.vfIndex!);
      return {
        name: d.name,
        uuid: s.uuid,
        memorySize: s.config.memory_size,
        numaNode: s.device.numaNode,
        capabilities: Number(s.config.capabilities),
        fwVersion: fw(s.config.fw_version),
        totalVfs: Number(s.config.total_vfs),
        enabledVfs: vfs.length,
        vfs: vfs.map((v) => {
          const sv = servedFor(v);
          return { uuid: sv.uuid, memorySize: sv.config.memory_size, capabilities: Number(sv.config.capabilities), fwVersion: fw(sv.config.fw_version) };
        }),
      };
    });
    const dir = mkdtempSync(join(tmpdir(), "e2e-fake-"));
    try {
      const fake = await createFakeSysfs(dir, topology, { transport, major });
      const dump = spawnSync("busybox", ["sh", DUMP_SCRIPT, SYSFS_CLASS, fake.root], { encoding: "utf8" });
      expect(dump.status, dump.stderr).toBe(0);
      // The kernel gives every device a power/ directory of runtime-PM files; they are not
      // the driver's and the fake does not write them.
      const real = guestTree.filter((l) => !/^dir \S+\/power$/.test(l));
      const faked = lines(dump.stdout);
      expect(faked.length).toBeGreaterThan(40);
      const onlyReal = real.filter((l) => !faked.includes(l));
      const onlyFake = faked.filter((l) => !real.includes(l));
      expect({ onlyReal, onlyFake }).toEqual({ onlyReal: [], onlyFake: [] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test.skipIf(skip)("rmmod is clean and the guest's kernel log has no warning or oops", () => {
    expect(lines(r.sections.rmmod)).toEqual(["rmmod-ok", `ls: /sys/class/${SYSFS_CLASS}: No such file or directory`, "no-char-devices"]);
    expect(guestKernelLogProblems(r.sections.dmesg ?? "")).toEqual([]);
    expect(r.sections.dmesg).toMatch(/mock-accel/);
    // QEMU refused no device access (its re-entrancy guard) and reported no error.
    expect(r.boot.stderr).not.toMatch(/re-entrant|error/i);
  });
});
