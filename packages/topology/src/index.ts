// @mock-accel/topology: topology files (VMs, NUMA nodes, PFs and VFs), the QEMU and libvirt
// wiring for them, and serving every device of a topology from one process.
export { loadTopologyFile, parseTopology, findVm, allDevices, TopologyError, VmNotFoundError } from "./load-topology.ts";
export type { Topology, TopologyVm, TopologyNumaNode, TopologyPf, TopologyDevice } from "./load-topology.ts";
export { formatSourceError, type SourceError } from "@mock-accel/yaml-source";
export { qemuArgs, libvirtXml, formatArgs, shellQuote, socketPath, expanderBusNumber, type Transport, type QemuWiringOptions } from "./qemu-args.ts";
export { bringUp, deviceConfigFor, type BringUpOptions, type Running, type ServedDevice } from "./bring-up.ts";
export { prepareLaunch, accelArg, UnsupportedQemuError, type LaunchOptions, type PreparedLaunch } from "./launch-plan.ts";
export { defaultRunDir } from "./run-dir.ts";
export { CAPABILITY_NAMES, capabilityBits, parseFwVersion, parseMemorySize } from "./device-values.ts";
