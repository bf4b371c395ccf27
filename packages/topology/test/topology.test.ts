import { describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { uuidFromLabelOrCanonical } from "@mock-accel/server";
import { allDevices, loadTopologyFile, MAX_TOPOLOGY_BYTES, parseTopology, TopologyError } from "../src/load-topology.ts";

const examples = join(import.meta.dirname, "../../../examples");

function errorsOf(text: string): string[] {
  try {
    parseTopology(text, "t.yaml");
  } catch (err) {
    if (err instanceof TopologyError) return err.message.split("\n");
    throw err;
  }
  throw new Error("expected the topology to be rejected");
}

describe("topology files", () => {
  it.each(readdirSync(examples).filter((f) => f.endsWith(".yaml")))("example %s loads", (file) => {
    const t = loadTopologyFile(join(examples, file));
    expect(t.vms.length).toBeGreaterThan(0);
  });

  it("the cluster example has the old project's 12 devices over two VMs", () => {
    const t = loadTopologyFile(join(examples, "cluster.yaml"));
    expect(t.vms.map((v) => v.name)).toEqual(["node1", "node2"]);
    expect(t.vms.flatMap(allDevices)).toHaveLength(12);
  });

  it("gives VFs functions 1..N of their PF's slot and indices 0..N-1", () => {
    const t = loadTopologyFile(join(examples, "sriov.yaml"));
    const [pf] = t.vms[0]!.numaNodes[0]!.pfs;
    expect(pf!.pf.function).toBe(0);
    expect(pf!.pf.totalVfs).toBe(4);
    expect(pf!.vfs.map((v) => [v.function, v.vfIndex, v.id])).toEqual([
      [1, 0, "vm0-n0-pf0-vf0"],
      [2, 1, "vm0-n0-pf0-vf1"],
      [3, 2, "vm0-n0-pf0-vf2"],
      [4, 3, "vm0-n0-pf0-vf3"],
    ]);
    expect(pf!.pf.capabilities).toBe(0b111n); // compute + encryption + compression
  });

  it("reports a misspelled key at its line and column", () => {
    const errs = errorsOf("vms:\n  - name: vm0\n    numa_nodes:\n      - node: 0\n        pfz: []\n");
    expect(errs[0]).toBe("t.yaml:5:9 vms[0].numa_nodes[0].pfz: unknown key 'pfz' (allowed: node, cpus, memory, pfs)");
  });

  it("reports every error at once: bad size, unknown capability, duplicate uuid", () => {
    const errs = errorsOf(
      [
        "vms:",
        "  - name: vm0",
        "    numa_nodes:",
        "      - node: 0",
        "        pfs:",
        "          - uuid: same",
        "            memory: 16Q",
        "          - uuid: same",
        "            capabilities: [teleport]",
        "",
      ].join("\n"),
    );
    expect(errs).toContainEqual(expect.stringMatching(/^t\.yaml:7:21 vms\[0\]\.numa_nodes\[0\]\.pfs\[0\]\.memory: .*16Q/));
    expect(errs).toContainEqual(expect.stringMatching(/^t\.yaml:8:19 vms\[0\]\.numa_nodes\[0\]\.pfs\[1\]\.uuid: uuid 'same' is already used by vm0-n0-pf0/));
    expect(errs).toContainEqual(expect.stringMatching(/^t\.yaml:9:27 .*capabilities: unknown capability 'teleport'/));
    expect(errs.at(-1)).toBe("Invalid topology: 3 error(s)");
  });

  it("a label and its own canonical UUID are the same device identity", () => {
    const canonical = uuidFromLabelOrCanonical("gpu-a").canonical;
    const errs = errorsOf(`vms:\n  - name: vm0\n    numa_nodes:\n      - node: 0\n        pfs:\n          - uuid: gpu-a\n          - uuid: "${canonical.toUpperCase()}"\n`);
    expect(errs[0]).toMatch(new RegExp(`^t\\.yaml:7:19 .*pfs\\[1\\]\\.uuid: uuid '${canonical.toUpperCase()}' is already used by vm0-n0-pf0 \\(both are ${canonical}\\)`));
  });

  it("numeric sizes: zero, negative, fractional and beyond 2^53 are refused at their position", () => {
    const at = (memory: string) => errorsOf(`vms:\n  - name: vm0\n    numa_nodes:\n      - node: 0\n        pfs:\n          - uuid: a\n            memory: ${memory}\n`);
    for (const bad of ["0", "-5", "1.5", "18446744073709551616", "99999999999999999999"]) {
      const errs = at(bad);
      expect(errs, bad).toHaveLength(1);
      expect(errs[0], bad).toMatch(/^t\.yaml:7:21 vms\[0\]\.numa_nodes\[0\]\.pfs\[0\]\.memory: size .* is not a byte count/);
    }
    expect(at("true")[0]).toMatch(/memory: expected a size: "16G", "512M", "2GiB" or a byte count/);
    expect(parseTopology("vms:\n  - name: vm0\n    numa_nodes:\n      - node: 0\n        pfs:\n          - uuid: a\n            memory: 4096\n", "t.yaml").vms[0]!.numaNodes[0]!.pfs[0]!.pf.memorySizeBytes).toBe(4096n);
  });

  it("refuses a file over the size limit before parsing it, and too many VMs", () => {
    const dir = mkdtempSync(join(tmpdir(), "topology-size-"));
    try {
      const big = join(dir, "big.yaml");
      writeFileSync(big, `vms:\n${"  - name: vm0\n    numa_nodes: [{ node: 0 }]\n".repeat(Math.ceil(MAX_TOPOLOGY_BYTES / 40))}`);
      expect(() => loadTopologyFile(big)).toThrow(/big\.yaml:1:1 : larger than 1048576 bytes|larger than 1048576 bytes/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const many = `vms:\n${Array.from({ length: 65 }, (_, i) => `  - name: vm${i}\n    numa_nodes: [{ node: 0 }]\n`).join("")}`;
    expect(errorsOf(many).join("\n")).toMatch(/vms: Expected array length to be less or equal to 64|vms: .*64/);
  });

  it("refuses more VFs than total_vfs", () => {
    const errs = errorsOf("vms:\n  - name: vm0\n    numa_nodes:\n      - node: 0\n        pfs:\n          - uuid: a\n            total_vfs: 1\n            vfs: [{ uuid: b }, { uuid: c }]\n");
    expect(errs[0]).toMatch(/^t\.yaml:7:24 .*total_vfs: total_vfs is 1 but 2 vfs are listed/);
  });

  it("names the file when it cannot be read", () => {
    expect(() => loadTopologyFile("/nonexistent/topo.yaml")).toThrow(/\/nonexistent\/topo\.yaml:1:1 .*cannot read/);
  });
});
