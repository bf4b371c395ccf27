// The end-to-end topology (examples/demo.yaml: the VM the e2e tests boot and `cluster up`
// makes a node) as a fake sysfs tree, with every listed VF enabled as the node's init enables
// them. Read through the topology loader, so the fake follows the file.
import { TOPOLOGY_FILE } from "@mock-accel/e2e";
import type { FakeTopology } from "@mock-accel/sysfs-client";
import { loadTopologyFile } from "@mock-accel/topology";

export const DEMO_TOPOLOGY_FILE = TOPOLOGY_FILE;

export function demoFakeTopology(): FakeTopology {
  const { vms } = loadTopologyFile(TOPOLOGY_FILE);
  if (vms.length !== 1) throw new Error(`${TOPOLOGY_FILE}: expected one VM, found ${vms.length}`);
  return vms[0]!.numaNodes.flatMap((n) =>
    n.pfs.map(({ pf, vfs }) => ({
      numaNode: n.node,
      capabilities: Number(pf.capabilities),
      ...(pf.memorySizeBytes === null ? {} : { memorySize: pf.memorySizeBytes }),
      totalVfs: pf.totalVfs,
      enabledVfs: vfs.length,
      vfs: vfs.map((vf) => ({ capabilities: Number(vf.capabilities), ...(vf.memorySizeBytes === null ? {} : { memorySize: vf.memorySizeBytes }) })),
    })),
  );
}
