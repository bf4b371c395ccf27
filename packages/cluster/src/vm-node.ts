// One Kubernetes node in a QEMU guest: the topology VM's NUMA layout and mock devices (wired as
// `qemu-args` does), the node image's disk booted with snapshot=on, and networking that only
// touches loopback: QEMU user networking with restrict=on, a guest forward from the
// `kubernetes` Service address to the API server on 127.0.0.1 (socat per connection), and a
// loopback forward to the guest's kubelet. Per-node files reach the guest through fw_cfg.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FW_CFG_PREFIX, NODE_MARKERS, nodeEnvText, type NodeConfigFile, type NodeEnv, type NodeImage } from "@mock-accel/node-image";
import { qemuArgs, type TopologyVm } from "@mock-accel/topology";
import { withParentDeathSignal } from "./component-process.ts";
import { KUBERNETES_SERVICE_IP } from "./pki.ts";
import { freeLoopbackPorts } from "./loopback-ports.ts";

/** The guest network: QEMU's user network, its gateway, and the address of the node `index`. */
export interface GuestNetwork {
  /** The slirp network; it holds the `kubernetes` Service address, which is forwarded. */
  net: string;
  prefix: number;
  gateway: string;
  dns: string;
  /** The `kubernetes` Service address and port the guest dials for the API server. */
  apiServerAddress: string;
  apiServerPort: number;
  nodeIp(index: number): string;
}

const ipv4 = (ip: string): number => {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  const octets = m ? m.slice(1).map(Number) : [];
  if (octets.length !== 4 || octets.some((o) => o > 255)) throw new Error(`the kubernetes Service address "${ip}": expected an IPv4 address (the guest network is QEMU's IPv4 user network)`);
  return ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
};
const dotted = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");

/**
 * The guest network for a cluster whose `kubernetes` Service has `serviceIp`: the /16 around it
 * (so the guest's on-link route covers the Service address, which QEMU forwards to the API
 * server, and the in-cluster config of hostNetwork pods works), with the gateway, DNS and node
 * addresses in it but never on the Service address (QEMU refuses a guest forward on the
 * gateway or DNS address, and a node there would shadow it).
 */
export function guestNetworkFor(serviceIp: string): GuestNetwork {
  const service = ipv4(serviceIp);
  const base = (service & 0xffff0000) >>> 0;
  // Away from the start of the range, where Service CIDRs put the kubernetes Service.
  const pick = (candidates: number[]) => candidates.find((c) => (base | c) >>> 0 !== service)!;
  const gateway = pick([0xff02, 0xff04]);
  const dns = pick([0xff03, 0xff05]);
  const nodeHost = (index: number) => {
    if (!Number.isInteger(index) || index < 0 || index > 200) throw new Error(`node index ${index}: expected 0..200`);
    return pick([((32 + index) << 8) | 15, ((32 + index) << 8) | 16]);
  };
  return {
    net: dotted(base), prefix: 16, gateway: dotted(base | gateway), dns: dotted(base | dns),
    apiServerAddress: dotted(service), apiServerPort: 443,
    nodeIp: (index) => dotted((base | nodeHost(index)) >>> 0),
  };
}

/** For the project's own control plane. */
export const DEFAULT_GUEST_NETWORK: GuestNetwork = guestNetworkFor(KUBERNETES_SERVICE_IP);

export const KUBELET_PORT = 10250;

export interface VmNodeOptions {
  qemu: string;
  image: NodeImage;
  vm: TopologyVm;
  /** Where the vfio-user sockets of the VM's devices are (`bringUp`'s runDir). */
  deviceRunDir: string;
  /** A folder of this node's own: fw_cfg files, serial logs. */
  nodeDir: string;
  index: number;
  nodeName: string;
  network: GuestNetwork;
  /** Host side of the API server (the forward's target): 127.0.0.1 port, or host:port. */
  apiServerTarget: string;
  bootstrapKubeconfig: string;
  caPem: string;
  labels: Record<string, string>;
  /** VFs to enable per PF UUID. */
  vfs: Record<string, number>;
  onConsoleLine?: (line: string) => void;
}

export interface VmNode {
  readonly name: string;
  readonly ip: string;
  /** The loopback port forwarded to the guest's kubelet. */
  readonly kubeletPort: number;
  readonly consoleLog: string;
  readonly process: ChildProcess;
  /** Resolves when QEMU exits, with a description of why. */
  readonly exited: Promise<string>;
  /** Resolves when the guest started its kubelet; rejects if the boot script failed or QEMU exited. */
  readonly kubeletStarted: Promise<void>;
  stop(): Promise<void>;
}

export async function startVmNode(o: VmNodeOptions): Promise<VmNode> {
  mkdirSync(o.nodeDir, { recursive: true });
  const ip = o.network.nodeIp(o.index);
  const env: NodeEnv = {
    NODE_NAME: o.nodeName,
    NODE_IP: ip,
    NODE_PREFIX: o.network.prefix,
    GATEWAY: o.network.gateway,
    NODE_LABELS: Object.entries(o.labels).map(([k, v]) => `${k}=${v}`).join(","),
    NODE_VFS: Object.entries(o.vfs).map(([uuid, n]) => `${uuid}=${n}`).join(" "),
  };
  const files: Record<NodeConfigFile, string> = {
    "node.env": nodeEnvText(env),
    "bootstrap.kubeconfig": o.bootstrapKubeconfig,
    "ca.crt": o.caPem,
  };
  const fwCfg: string[] = [];
  for (const [name, content] of Object.entries(files)) {
    const path = join(o.nodeDir, name);
    writeFileSync(path, content, { mode: 0o600 });
    fwCfg.push("-fw_cfg", `name=${FW_CFG_PREFIX}/${name},file=${path}`);
  }
  const [kubeletPort] = (await freeLoopbackPorts(1)) as [number];
  const n = o.network;
  const netdev = [
    "user", "id=net0", `net=${n.net}/${n.prefix}`, `host=${n.gateway}`, `dns=${n.dns}`, "restrict=on",
    `guestfwd=tcp:${n.apiServerAddress}:${n.apiServerPort}-cmd:socat - TCP:${o.apiServerTarget}`,
    `hostfwd=tcp:127.0.0.1:${kubeletPort}-${ip}:${KUBELET_PORT}`,
  ].join(",");
  const consoleLog = join(o.nodeDir, "console.log");
  const args = [
    "-accel", "tcg", "-nodefaults", "-display", "none", "-no-reboot", "-monitor", "none",
    "-cpu", "max",
    ...qemuArgs(o.vm, { transport: "vfio-user", runDir: o.deviceRunDir }),
    "-kernel", o.image.kernelImage, "-initrd", o.image.initramfs, "-append", o.image.append,
    "-serial", "stdio", "-serial", `file:${join(o.nodeDir, "kubelet.log")}`, "-serial", `file:${join(o.nodeDir, "containerd.log")}`,
    "-drive", `file=${o.image.rootDisk},format=raw,if=none,id=root,snapshot=on`, "-device", "virtio-blk-pci,drive=root,bus=pcie.0",
    "-netdev", netdev, "-device", "virtio-net-pci,netdev=net0,bus=pcie.0",
    ...fwCfg,
  ];
  writeFileSync(join(o.nodeDir, "qemu.args"), `${[o.qemu, ...args].join("\n")}\n`);
  // A killed CLI or test runner must not leave a VM running.
  const child = spawn(...withParentDeathSignal(o.qemu, args), { stdio: ["ignore", "pipe", "pipe"] });
  const log = createWriteStream(consoleLog);
  let stderr = "";
  child.stderr!.on("data", (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
  let pending = "";
  let onMarker: ((line: string) => void) | undefined;
  child.stdout!.on("data", (b: Buffer) => {
    log.write(b);
    pending += b.toString("latin1").replace(/\r/g, "");
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith(NODE_MARKERS.step)) continue;
      o.onConsoleLine?.(line);
      onMarker?.(line);
    }
  });
  const exited = new Promise<string>((resolve) => {
    child.on("error", (err) => resolve(`cannot start ${o.qemu}: ${err.message}`));
    child.on("exit", (code, signal) => {
      log.end();
      resolve(`QEMU exited (${signal ?? code})${stderr.trim() ? `: ${stderr.trim().split("\n").slice(-3).join(" / ")}` : ""}; console: ${consoleLog}`);
    });
  });
  const kubeletStarted = new Promise<void>((resolve, reject) => {
    onMarker = (line) => {
      if (line.startsWith(NODE_MARKERS.failed)) reject(new Error(`node ${o.nodeName}: ${line.slice(NODE_MARKERS.failed.length).trim()} (console: ${consoleLog})`));
      else if (line.startsWith(NODE_MARKERS.kubeletStarted)) resolve();
    };
    void exited.then((why) => reject(new Error(`node ${o.nodeName}: ${why}`)));
  });
  kubeletStarted.catch(() => {}); // a caller that never waits must not see an unhandled rejection
  return {
    name: o.nodeName, ip, kubeletPort, consoleLog, process: child, exited, kubeletStarted,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
