// `mock-accel probe` as a user runs it: against a real device socket, text and JSON, and the
// exit codes for bad usage and unreachable sockets.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { assertAvailable } from "@mock-accel/testkit";
import { runProbe, type ProbeReport } from "../src/client/probe.ts";
import { buildDeviceConfig, uuidFromLabelOrCanonical } from "../src/device/device-config.ts";
import { VfioUserHost } from "../src/transports/vfio-user/host.ts";
import { libvfioUser } from "./requirements.ts";

async function probe(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runProbe(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) });
  return { code, stdout, stderr };
}

describe("probe usage", () => {
  test("no socket: one line on stderr, exit 2", async () => {
    const r = await probe();
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("mock-accel probe: missing <socket> (see --help)\n");
  });

  test("an unknown flag: one line, exit 2", async () => {
    const r = await probe("--frobnicate", "/tmp/x.sock");
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("--frobnicate");
  });

  test("two sockets or a bad timeout: exit 2", async () => {
    expect((await probe("a.sock", "b.sock")).code).toBe(2);
    expect((await probe("--timeout", "soon", "a.sock")).stderr).toContain('--timeout takes a positive number of milliseconds, got "soon"');
  });

  test("--help prints usage and exits 0", async () => {
    const r = await probe("--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage: mock-accel probe");
  });

  test("a socket nobody serves: a message naming it, exit 1", async () => {
    const missing = join(tmpdir(), `mock-accel-probe-missing-${process.pid}.sock`);
    const r = await probe(missing);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`mock-accel probe: cannot connect to vfio-user socket ${missing}: ENOENT (no such socket; is the server running?)\n`);
  });
});

describe.skipIf(libvfioUser.skip)("probe against a served device", () => {
  let dir: string;
  let host: VfioUserHost;
  let pf: string;
  let vf: string;

  beforeAll(async () => {
    assertAvailable(libvfioUser);
    dir = mkdtempSync(join(tmpdir(), "mock-accel-probe-"));
    pf = join(dir, "pf.sock");
    vf = join(dir, "vf.sock");
    host = await VfioUserHost.start();
    await host.addDevice({ socketPath: pf, kind: "pf", multifunction: true, config: buildDeviceConfig({ kind: "pf", uuid: "probe-pf", totalVfs: 2, capabilities: 0b11 }) });
    await host.addDevice({ socketPath: vf, kind: "vf", config: buildDeviceConfig({ kind: "vf", uuid: "probe-vf", vfIndex: 1, memorySize: "1.5G" }) });
  });

  afterAll(async () => {
    await host?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("text: IDs, class, regions, capabilities, SR-IOV fields, decoded registers", async () => {
    const r = await probe(pf);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toContain(`${pf}: mock-accel physical function`);
    expect(out).toMatch(/ids\s+1de5:0001 rev 01, subsystem 0000:0000/);
    expect(out).toMatch(/class\s+0x120000 \(processing accelerator\)/);
    expect(out).toMatch(/header\s+type 0, multifunction; BAR0 32-bit memory, non-prefetchable/);
    expect(out).toMatch(/regions\s+BAR0 4096 bytes rw; CONFIG 4096 bytes rw/);
    expect(out).toMatch(/capabilities 0x40 PCI Express v2 endpoint/);
    expect(out).toMatch(/extended\s+0x100 SR-IOV v1/);
    expect(out).toMatch(/SR-IOV\s+TotalVFs 2, InitialVFs 2, NumVFs 0, first VF offset 1, stride 1, VF device 0002/);
    expect(out).toMatch(/0x008 UUID\s+RO\s+[0-9a-f-]{36}/);
    expect(out).toContain(uuidFromLabelOrCanonical("probe-pf").canonical);
    expect(out).toMatch(/0x020 MEMORY_SIZE\s+RO 0x0000000400000000\s+17179869184 bytes \(16 GiB\)/);
    expect(out).toMatch(/CAPABILITIES .*\[COMPUTE ENCRYPTION\]/);
    expect(out).toMatch(/FW_VERSION\s+RO 0x00010200\s+1\.2\.0/);
    expect(out).toMatch(/PASSPHRASE_STATUS RO 0x00000000\s+idle \(0\)/);
  });

  test("JSON: a VF with its index, memory and no SR-IOV capability", async () => {
    const r = await probe("--json", vf);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as ProbeReport;
    expect(report.kind).toBe("vf");
    expect(report.config.deviceId).toBe(2);
    expect(report.config.sriov).toBeNull();
    const reg = Object.fromEntries(report.registers.map((g) => [g.name, g]));
    expect(reg.VF_INDEX?.text).toBe("1");
    expect(reg.MEMORY_SIZE?.text).toBe("1610612736 bytes (1.500 GiB)");
    expect(reg.UUID?.text).toBe(uuidFromLabelOrCanonical("probe-vf").canonical);
    expect(reg.PASSPHRASE_BUFFER?.text).toBe('""');
  });
});
