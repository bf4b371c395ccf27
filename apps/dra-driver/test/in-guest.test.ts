// The driver's own code inside a real guest against the real kernel sysfs: the Bun server serves
// examples/demo.yaml's VM over vfio-user (as `mock-accel launch` does), this checkout is shared
// into the guest over 9p, the guest loads the module built from this tree, enables the VFs,
// and Bun (this Bun's executable, in the initramfs) runs guest/dra-guest.ts from the share: the
// driver's inventory, buildSlices, ClaimPreparer, Checkpoint and CDI code print the node's
// ResourceSlices, prepare a claim, and unprepare it in a fresh process. One boot; every test
// reads what the guest printed and what the host's device server saw meanwhile.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { assertAvailable, requirement } from "@mock-accel/testkit";
import { bytesToQuantity } from "@mock-accel/sysfs-client";
// Relative: the e2e suite and vm-harness are test-only tools here, not dependencies of the driver.
import { GUEST, guestArtifacts } from "@mock-accel/guest-image";
import { runGuest, type GuestRunResult } from "@mock-accel/e2e";
import { guestBuild, libvfioUser, vfioUserQemu, vfioUserQemuPath } from "@mock-accel/e2e/requirements";
import { guestKernelLogProblems, hostExecutableFiles, type GuestFile } from "@mock-accel/vm-harness";
import { DEFAULT_DRIVER_NAME as DRIVER } from "../src/index.ts";
import { draGuestScript, GUEST_BUN, GUEST_CLAIM_UID, GUEST_NODE, guestModulePath, NINEP_MODULES, shareArgs } from "../guest/script.ts";

/** The checkout, shared into the guest. */
const REPO = join(import.meta.dirname, "..", "..", "..");
// The guest runs the Bun running this test (its executable goes into the initramfs).
const bun = requirement(
  "vitest running under Bun, from an executable file (process.execPath)",
  typeof Bun !== "undefined" && existsSync(process.execPath),
  "run it as `bunx --bun vitest run`",
);
const needs = [guestBuild, vfioUserQemu, libvfioUser, bun];
const skip = needs.some((n) => n.skip);

const lines = (text: string | undefined) => (text ?? "").split("\n").map((l) => l.trim()).filter((l) => l !== "");
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The one JSON line a dra-guest mode printed in `section` (its log lines start with "["). */
function printed<T>(r: GuestRunResult, section: string): T {
  const line = lines(r.sections[section]).find((l) => l.startsWith("{"));
  if (!line) throw new Error(`section ${section} printed no JSON:\n${r.sections[section]}`);
  return JSON.parse(line) as T;
}

interface SliceDevice {
  name: string;
  attributes: Record<string, { string?: string; int?: number; version?: string }>;
  capacity: Record<string, { value: string }>;
}
interface Slice {
  metadata: { name: string };
  spec: { driver: string; nodeName: string; pool: { name: string; generation: number; resourceSliceCount: number }; devices: SliceDevice[] };
}
interface CdiSpec {
  kind: string;
  devices: { name: string; containerEdits: { env: string[]; deviceNodes: { path: string }[]; mounts: { hostPath: string; options: string[] }[] } }[];
}

/** Seconds of guest uptime between the starts of two sections (for the log, never asserted). */
function seconds(r: GuestRunResult, from: string, to: string): number {
  const up = (s: string) => Number(lines(r.sections[s]).find((l) => l.startsWith("up "))?.slice(3));
  return Math.round((up(to) - up(from)) * 100) / 100;
}

describe("the DRA driver inside a guest, over vfio-user", () => {
  let r: GuestRunResult;
  let names: { P0: string; P1: string };
  let pciOf: Map<string, string>;

  beforeAll(async () => {
    if (skip) return;
    for (const n of needs) assertAvailable(n);
    const artifacts = await guestArtifacts();
    const moduleDir = join(artifacts.kernel.root, "lib", "modules", artifacts.kernel.version, "kernel");
    const files: Record<string, GuestFile | null> = {
      ...(await hostExecutableFiles(process.execPath, GUEST_BUN)),
      ...Object.fromEntries(NINEP_MODULES.map((m) => [guestModulePath(m), join(moduleDir, m)])),
      // The e2e suite's compiled discovery program is not used here: leave its 100 MB out.
      [GUEST.discover]: null,
    };
    const started = performance.now();
    r = await runGuest({
      transport: "vfio-user",
      qemu: vfioUserQemuPath!,
      artifacts,
      script: draGuestScript({ modulePath: GUEST.module, driverName: DRIVER }),
      extraFiles: files,
      qemuArgs: shareArgs(REPO),
    });
    if (r.boot.exitCode === null) {
      throw new Error(`guest never finished (timed out: ${r.boot.timedOut}); QEMU stderr:\n${r.boot.stderr}\nserial tail:\n${r.boot.serial.slice(-3000)}`);
    }
    if (!lines(r.sections.share).includes("mounted")) throw new Error(`the 9p share did not mount:\n${r.sections.share}`);
    const m = /^P0=(\S+) P1=(\S+)/.exec(lines(r.sections.names).find((l) => l.startsWith("P0=")) ?? "");
    if (!m) throw new Error(`the guest found no PFs:\n${r.sections.names}\n${r.sections.insmod}`);
    names = { P0: m[1]!, P1: m[2]! };
    pciOf = new Map(lines(r.sections.pci).map((l) => l.split(" ") as [string, string]));
    console.log(
      `in-guest boot: ${Math.round(performance.now() - started)} ms; in the guest: slices ${seconds(r, "slices", "prepare")} s, ` +
        `prepare ${seconds(r, "prepare", "status-prepared")} s, unprepare ${seconds(r, "unprepare", "status-unprepared")} s`,
    );
  }, 900_000);

  /** The served device behind a kernel name: the node-0 PF carries the VFs, the node-1 PF none. */
  const servedFor = (kernelName: string) => {
    const vf = /_vf(\d+)$/.exec(kernelName);
    const numaNode = kernelName.startsWith(names.P0) ? 0 : 1;
    const s = r.served.find((x) => x.device.numaNode === numaNode && x.device.kind === (vf ? "vf" : "pf") && (x.device.vfIndex ?? null) === (vf ? Number(vf[1]) : null));
    if (!s) throw new Error(`no served device for ${kernelName}`);
    return s;
  };

  test.skipIf(skip)("the guest runs every step and powers off with status 0", () => {
    expect(r.boot.timedOut).toBe(false);
    expect(r.boot.exitCode).toBe(0);
    expect(lines(r.sections.share)).toContain("mounted");
    expect(lines(r.sections.share)).toContain(`bun ${Bun.version}`); // the same Bun as the host
    expect(lines(r.sections.insmod)).toContain("insmod-ok");
    expect(lines(r.sections["numvfs-2"])).toContain("ok");
    expect(lines(r.sections.rmmod)).toContain("rmmod-ok");
    expect(guestKernelLogProblems(r.sections.dmesg ?? "")).toEqual([]);
  });

  test.skipIf(skip)("one pool named after the node, DNS-label device names for every PF and VF", () => {
    const { skipped, slices } = printed<{ skipped: string[]; slices: Slice[] }>(r, "slices");
    expect(skipped).toEqual([]);
    expect(slices).toHaveLength(1);
    const [slice] = slices;
    expect(slice!.metadata.name).toBe(`${GUEST_NODE}-${DRIVER}-0`);
    expect(slice!.spec).toMatchObject({ driver: DRIVER, nodeName: GUEST_NODE, pool: { name: GUEST_NODE, generation: 1, resourceSliceCount: 1 } });
    const { P0, P1 } = names;
    expect(slice!.spec.devices.map((d) => d.name)).toEqual([P0, `${P0}-vf0`, `${P0}-vf1`, P1].sort());
    for (const d of slice!.spec.devices) expect(d.name).toMatch(DNS_LABEL);
  });

  test.skipIf(skip)("each device's uuid, NUMA node, PCI address, memory and PF are what the server was told", () => {
    const { slices } = printed<{ slices: Slice[] }>(r, "slices");
    const a = (d: SliceDevice, n: string) => d.attributes[`${DRIVER}/${n}`];
    for (const d of slices[0]!.spec.devices) {
      const kernelName = d.name.replace(/-vf(\d+)$/, "_vf$1");
      const s = servedFor(kernelName);
      expect(a(d, "uuid"), d.name).toEqual({ string: s.uuid });
      expect(a(d, "numaNode"), d.name).toEqual({ int: s.device.numaNode });
      expect(a(d, "deviceType"), d.name).toEqual({ string: s.device.kind });
      expect(a(d, "pciAddress"), d.name).toEqual({ string: pciOf.get(kernelName) });
      expect(d.capacity[`${DRIVER}/memory`], d.name).toEqual({ value: bytesToQuantity(BigInt(s.config.memory_size)) });
      if (s.device.kind === "vf") expect(a(d, "physFn"), d.name).toEqual({ string: pciOf.get(names.P0) });
      else expect(a(d, "physFn"), d.name).toBeUndefined();
    }
    // 16 GiB reads as 16 GiB through the kernel's two 32-bit halves.
    expect(slices[0]!.spec.devices.find((d) => d.name === names.P0)!.capacity[`${DRIVER}/memory`]).toEqual({ value: "16Gi" });
  });

  test.skipIf(skip)("prepare sets STATUS.ALLOCATED, which the host's device server sees, and writes the claim's CDI spec", () => {
    const { P1 } = names;
    const s = servedFor(P1);
    const out = printed<{ response: { claims: Record<string, { devices: { deviceName: string; poolName: string; cdiDeviceIds: string[] }[]; error: string }> }; cdi: CdiSpec; checkpoint: { claims: Record<string, { state: string }> } }>(r, "prepare");
    const claim = out.response.claims[GUEST_CLAIM_UID]!;
    expect(claim.error).toBe("");
    expect(claim.devices.map((d) => [d.deviceName, d.poolName, d.cdiDeviceIds])).toEqual([[P1, GUEST_NODE, [`${DRIVER}/claim=${GUEST_CLAIM_UID}-${P1}`]]]);
    expect(out.cdi.kind).toBe(`${DRIVER}/claim`);
    expect(out.cdi.devices).toHaveLength(1);
    const edits = out.cdi.devices[0]!.containerEdits;
    expect(edits.env).toEqual(expect.arrayContaining([`MOCK_ACCEL_UUID=${s.uuid}`, `MOCK_ACCEL_PCI=${pciOf.get(P1)}`, `MOCK_ACCEL_DEVICE=${P1}`]));
    expect(edits.deviceNodes.map((n) => n.path)).toEqual([`/dev/${P1}`]);
    expect(edits.mounts[0]!.options).toContain("ro");
    // The record written before any device was touched (the README's "Crash safety").
    expect(out.checkpoint.claims[GUEST_CLAIM_UID]?.state).toBe("preparing");
    // In the guest, between the two programs: the bit reads set through sysfs.
    expect(lines(r.sections["status-prepared"]).slice(1)).toEqual(["0x00000001"]);
    // On the host: the server saw the driver set bit 0, on that device and no other.
    const status = r.writes.filter((w) => w.name === "STATUS");
    expect(status.map((w) => w.device)).toEqual([s.device.id, s.device.id]);
    expect(status[0]!.previous & 1n).toBe(0n);
    expect(status[0]!.value & 1n).toBe(1n);
  });

  test.skipIf(skip)("unprepare in a fresh process, from the checkpoint alone, clears the bit, the CDI spec and the entry", () => {
    const out = printed<{ known: { state: string } | null; response: { claims: Record<string, { error: string }> }; cdiExists: boolean; checkpoint: { claims: Record<string, unknown> } }>(r, "unprepare");
    expect(out.known?.state).toBe("preparing");
    expect(out.response.claims[GUEST_CLAIM_UID]).toEqual({ error: "" });
    expect(out.cdiExists).toBe(false);
    expect(out.checkpoint.claims).toEqual({});
    // `ls /tmp/dra/cdi` lists nothing after the status line.
    expect(lines(r.sections["status-unprepared"]).slice(1)).toEqual(["0x00000000"]);
    const status = r.writes.filter((w) => w.name === "STATUS");
    expect(status[1]!.previous & 1n).toBe(1n);
    expect(status[1]!.value & 1n).toBe(0n);
  });
});
