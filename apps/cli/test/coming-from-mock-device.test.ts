// docs/coming-from-mock-device.md stays true: its `serve` and `probe` commands run here as written
// (the sockets it puts in /tmp moved into a temporary folder of this test); every other command
// is spelled with today's names and names the test that runs it; and the names and IDs the page
// gives (module file, --total-vfs default, ResourceSlice attributes, CDI IDs) are what the code
// produces. The same rules as readme.test.ts.
import { describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { assertAvailable, requirement } from "@mock-accel/testkit";
import { libvfioUserInstalled } from "@mock-accel/server";
import {
  createFakeSysfs,
  DEVICE_CONFIG_DEFAULTS,
  DEVICE_NAME,
  MockAccelSysfs,
  pfDeviceName,
  SYSFS_CLASS,
  toDeviceAttributes,
  vfDeviceName,
} from "@mock-accel/sysfs-client";
import { buildCdiSpec, cdiDeviceId, cdiSpecPath, claimUid, DEFAULT_DRIVER_NAME } from "@mock-accel/dra-driver";

const root = join(import.meta.dirname, "../../..");
const DOC = "docs/coming-from-mock-device.md";
const doc = readFileSync(join(root, DOC), "utf8");

/** Command lines of the page's ```sh blocks, comments stripped. */
const commands = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)]
  .flatMap((m) => m[1]!.split("\n"))
  .map((l) => l.replace(/\s+#.*$/, "").trim())
  .filter((l) => l !== "" && !l.startsWith("#"));

const GUEST_TEST = "packages/kernel-driver/test/guest-old-recipe.test.ts";
/** Commands that run in a guest or against a cluster: the test that runs them, and what it must contain. */
const RUN_ELSEWHERE: Record<string, [file: string, runs: string]> = {
  [`insmod ${DEVICE_NAME}.ko`]: [GUEST_TEST, "insmod /${MODULE_NAME}.ko"],
  [`echo 2 > /sys/class/${SYSFS_CLASS}/${pfDeviceName(0)}/sriov_numvfs`]: [GUEST_TEST, "echo 2 > $C/${pfDeviceName(0)}/sriov_numvfs"],
  [`ls /sys/class/${SYSFS_CLASS}/`]: [GUEST_TEST, "ls $C/"],
  [`cat /sys/class/${SYSFS_CLASS}/${vfDeviceName(0, 1)}/vf_index`]: [GUEST_TEST, "cat $d/vf_index"],
  [`kubectl get resourceslices --field-selector spec.driver=${DEFAULT_DRIVER_NAME}`]: [
    "apps/dra-driver/test/real-control-plane.test.ts",
    '"get", "resourceslices", "--field-selector", `spec.driver=${DRIVER}`',
  ],
};
const SERVE = "bun run mock-accel serve ";
const PROBE = "bun run mock-accel probe ";

const lib = requirement("libvfio-user", libvfioUserInstalled(), "bash scripts/install-libvfio-user.sh");

describe(DOC, () => {
  it("every command runs here or is spelled as the test that runs it runs it", () => {
    expect(commands.filter((c) => c.startsWith(SERVE))).toHaveLength(5);
    for (const c of commands) {
      if (c.startsWith(SERVE) || c.startsWith(PROBE)) continue;
      expect(Object.keys(RUN_ELSEWHERE), `'${c}' is neither run here nor spelled with today's names`).toContain(c);
    }
    for (const [cmd, [file, runs]] of Object.entries(RUN_ELSEWHERE)) {
      expect(commands, `the page no longer shows '${cmd}'`).toContain(cmd);
      expect(existsSync(join(root, file)), file).toBe(true);
      expect(readFileSync(join(root, file), "utf8"), `${file} should run '${cmd}'`).toContain(runs);
    }
  });

  it("the module file and the --total-vfs default are today's", () => {
    expect(doc).toContain(`| kernel module file | \`mock-accel.ko\` (\`insmod mock-accel.ko\`) | \`${DEVICE_NAME}.ko\``);
    expect(DEVICE_CONFIG_DEFAULTS.total_vfs.pf).toBe(0n);
    expect(doc).toContain("| `--total-vfs` default | 4 | 0: ");
  });

  it("the ResourceSlice attributes the page lists are what a VF publishes, the old ones included", async () => {
    const dir = mkdtempSync(join(tmpdir(), "coming-from-"));
    try {
      const fake = await createFakeSysfs(join(dir, "sys"), [{ totalVfs: 2, enabledVfs: 2 }]);
      const vf = await new MockAccelSysfs({ root: fake.root }).get(vfDeviceName(0, 1));
      const { attributes, capacity } = await toDeviceAttributes(vf, { domain: DEFAULT_DRIVER_NAME });
      const q = (n: string) => `${DEFAULT_DRIVER_NAME}/${n}`;
      const rows = [...doc.matchAll(/^\| `([A-Za-z./]+)` \|/gm)].map((m) => m[1]!).filter((n) => !n.startsWith("--"));
      expect(rows).toEqual(["uuid", "memory", "deviceType", "pciAddress", "numaNode", "physfn", "capabilities", "firmwareVersion", "resource.kubernetes.io/pcieRoot"]);
      for (const name of rows) expect(attributes[name.includes("/") ? name : q(name)], name).toBeDefined();
      for (const name of ["physFn", "compute", "encryption", "compression", "p2pDma"]) expect(attributes[q(name)], name).toBeDefined();
      expect(attributes[q("memory")]).toEqual({ int: 2 * 2 ** 30 });
      expect(attributes[q("physfn")]).toEqual({ string: pfDeviceName(0) });
      expect(capacity[q("memory")]).toEqual({ value: "2Gi" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the CDI IDs, spec file and variables are what the driver writes", () => {
    const uid = claimUid("6d3c2f0a-8b1e-4c5d-9f60-1a2b3c4d5e6f");
    const device = { deviceName: "mock0-vf1", kernelName: vfDeviceName(0, 1), devNode: `/dev/${vfDeviceName(0, 1)}`, uuid: "u", pciAddress: "p", classDir: "c" };
    expect(doc).toContain(`\`${cdiDeviceId(DEFAULT_DRIVER_NAME, uid, device.deviceName)}\``);
    expect(doc).toContain(`/${basename(cdiSpecPath("/cdi", DEFAULT_DRIVER_NAME, uid))}\``);
    const spec = buildCdiSpec(DEFAULT_DRIVER_NAME, uid, [device, { ...device, deviceName: "mock1", kernelName: pfDeviceName(1) }]);
    expect(doc).toContain(`kind \`${spec.kind}\``);
    const env = [...spec.devices[0]!.containerEdits.env!, ...spec.containerEdits!.env!].map((e) => e.split("=")[0]!);
    for (const name of env) expect(doc).toContain(`\`${name}`);
    expect(spec.devices[0]!.containerEdits.deviceNodes).toEqual([{ path: `/dev/${vfDeviceName(0, 1)}`, permissions: "rw" }]);
  });

  it.skipIf(lib.skip)("the old recipe's servers start as written, and a VF without --vf-index is left to its PCI function", async () => {
    assertAvailable(lib);
    const dir = mkdtempSync(join(tmpdir(), "coming-from-serve-"));
    const here = (line: string) => line.replaceAll("/tmp/", `${dir}/`);
    const children: ChildProcess[] = [];
    try {
      const started = await Promise.all(
        commands
          .filter((c) => c.startsWith(SERVE))
          .map((line) => {
            expect(line.endsWith(" &"), line).toBe(true);
            const child = spawn("sh", ["-c", `exec ${here(line.slice(0, -2))}`], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
            children.push(child);
            return new Promise<string>((resolve, reject) => {
              let out = "";
              child.stdout!.on("data", (d: Buffer) => {
                out += d.toString();
                const m = /^serving .*$/m.exec(out);
                if (m) resolve(m[0]);
              });
              child.on("exit", (code) => reject(new Error(`'${line}' exited ${code} before serving: ${out}`)));
            });
          }),
      );
      expect(started.filter((l) => l.startsWith("serving VF")).every((l) => l.includes("VF index from its PCI function"))).toBe(true);
      expect(started[0]).toContain("total VFs 4");
      for (const line of commands.filter((c) => c.startsWith(PROBE))) {
        const r = spawnSync("sh", ["-c", here(line)], { cwd: root, encoding: "utf8", timeout: 60_000 });
        expect(r.status, `${line}\n${r.stdout}${r.stderr}`).toBe(0);
        expect(r.stdout).toContain("1de5:0002");
        expect(r.stdout).toMatch(/VF_INDEX\s+RO 0xffffffff/);
      }
    } finally {
      await Promise.all(
        children.map((c) => (c.exitCode !== null ? undefined : new Promise((resolve) => {
          c.on("exit", resolve);
          c.kill("SIGTERM");
        }))),
      );
    }
    expect(commands.filter((c) => c.startsWith(SERVE)).map((c) => here(c).split(" ").at(-2)!).filter((s) => existsSync(s))).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });
});
