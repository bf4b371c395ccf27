// What the node's root filesystem holds besides the packages: the boot script that brings the
// node up (busybox init runs it; no systemd), containerd's and the kubelet's configuration,
// and the CNI network. Per-node facts (name, address, join credentials, VFs to enable) are not
// here: QEMU hands them to the guest through fw_cfg (see NODE_CONFIG_FILES), so one image
// serves every node.
import { SYSFS_CLASS } from "@mock-accel/sysfs-client";
import { IMAGE_REFS } from "./image-refs.ts";

/** Where the guest reads its per-node files: QEMU `-fw_cfg name=opt/mock-accel/<file>,file=...`. */
export const FW_CFG_PREFIX = "opt/mock-accel";
/** The per-node files QEMU passes in. */
export const NODE_CONFIG_FILES = ["node.env", "bootstrap.kubeconfig", "ca.crt"] as const;
export type NodeConfigFile = (typeof NODE_CONFIG_FILES)[number];

/** Guest paths of what the image carries. */
export const NODE_PATHS = {
  bootScript: "/usr/local/sbin/mock-accel-node-boot",
  modulesList: "/etc/mock-accel/modules",
  /** OCI archives imported at boot (the image builder imports ours into containerdRoot instead). */
  images: "/var/lib/mock-accel/images",
  containerdRoot: "/var/lib/containerd",
  kubelet: "/usr/local/bin/kubelet",
  kubeletConfig: "/etc/kubernetes/kubelet.yaml",
  containerdConfig: "/etc/containerd/config.toml",
  cniConfig: "/etc/cni/net.d/10-mock-accel.conflist",
  cdiDirs: ["/etc/cdi", "/var/run/cdi"],
} as const;

/** The console lines the boot script prints, for the host to follow progress and failures. */
export const NODE_MARKERS = {
  step: "@@mock-accel-node",
  failed: "@@mock-accel-node-failed",
  kubeletStarted: "@@mock-accel-node kubelet started",
} as const;

/** Serial ports: ttyS0 is the console; the kubelet and containerd write their logs to their own. */
export const NODE_SERIAL = { console: "ttyS0", kubelet: "ttyS1", containerd: "ttyS2" } as const;

export interface NodeEnv {
  NODE_NAME: string;
  NODE_IP: string;
  NODE_PREFIX: number;
  GATEWAY: string;
  /** Comma-separated key=value labels for --node-labels. */
  NODE_LABELS: string;
  /** "uuid=count ..." : how many VFs to enable on each PF, by the PF's UUID. */
  NODE_VFS: string;
}

/** node.env: sourced by the boot script. Values are single-quoted; none may hold a quote. */
export function nodeEnvText(env: NodeEnv): string {
  return Object.entries(env)
    .map(([k, v]) => {
      const s = String(v);
      if (s.includes("'") || s.includes("\n")) throw new Error(`node.env ${k}: ${JSON.stringify(s)} may not hold a quote or a newline`);
      return `${k}='${s}'\n`;
    })
    .join("");
}

export function containerdConfig(): string {
  // containerd 1.7 (trixie) reads version 2; CDI is off there unless asked for.
  return `version = 2
root = "${NODE_PATHS.containerdRoot}"
state = "/run/containerd"
# Snapshotters and tracing this node never uses: each costs start-up time under TCG.
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "/run/containerd/containerd.sock"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${IMAGE_REFS.pause}"
  enable_cdi = true
  cdi_spec_dirs = ${JSON.stringify(NODE_PATHS.cdiDirs)}
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "/etc/cni/net.d"
`;
}

/** Pods get addresses on a bridge inside the guest; nothing leaves the VM (no masquerading). */
export function cniConfig(): string {
  return `${JSON.stringify({
    cniVersion: "1.0.0",
    name: "mock-accel",
    plugins: [{
      type: "bridge", bridge: "cni0", isGateway: true, ipMasq: false,
      ipam: { type: "host-local", ranges: [[{ subnet: "10.244.0.0/24" }]], routes: [{ dst: "0.0.0.0/0" }] },
    }],
  }, null, 2)}\n`;
}

export function kubeletConfig(): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: /run/mock-accel/ca.crt }
authorization: { mode: Webhook }
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix:///run/containerd/containerd.sock
failSwapOn: false
rotateCertificates: true
# A serving certificate signed by the cluster CA (the API server checks it): the kubelet asks
# for it with a CSR, which whoever brought the node up approves.
serverTLSBootstrap: true
resolvConf: /etc/resolv.conf
# The node's disk is a throwaway copy of a small image; imported images are never pulled
# again, so never collect them and never evict for disk space.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: { memory.available: "50Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%" }
`;
}

/** /etc/inittab for busybox init: the boot script once, nothing respawned. */
export function inittab(): string {
  return `::sysinit:${NODE_PATHS.bootScript}\n::shutdown:/bin/busybox killall5 -TERM\n`;
}

/** The boot script (busybox sh), run once by init after the initramfs switched to the disk. */
export function bootScript(): string {
  const S = NODE_MARKERS.step;
  return `#!/bin/sh
# Generated by @mock-accel/node-image (node-files.ts): brings a Kubernetes node up.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
say() { echo "${S} $* (up $(cut -d' ' -f1 /proc/uptime))"; }
fail() { echo "${NODE_MARKERS.failed} $*"; exit 1; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 shm /dev/shm
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup
# The kubelet and the CRI need mounts to propagate (volumes, the plugin directory).
mount --make-rshared /
mkdir -p /run/lock /run/mock-accel /var/log /var/lib/kubelet
say "filesystems mounted"

modules=/lib/modules/$(uname -r)
# Some (virtio) the initramfs loaded already.
while read -r m; do
  n=$(basename "$m" .ko | tr - _)
  [ -d "/sys/module/$n" ] || insmod "$modules/$m" || fail "insmod $m"
done < ${NODE_PATHS.modulesList}
say "modules loaded"

cfg=/sys/firmware/qemu_fw_cfg/by_name/${FW_CFG_PREFIX}
for f in ${NODE_CONFIG_FILES.join(" ")}; do
  cat "$cfg/$f/raw" > /run/mock-accel/$f || fail "no $f from QEMU (fw_cfg ${FW_CFG_PREFIX}/$f)"
done
. /run/mock-accel/node.env
hostname "$NODE_NAME"
echo "$NODE_NAME" > /etc/hostname
printf '127.0.0.1 localhost\\n%s %s\\n' "$NODE_IP" "$NODE_NAME" > /etc/hosts
tr -d '-' < /proc/sys/kernel/random/uuid > /etc/machine-id

ip link set lo up
ip addr add "$NODE_IP/$NODE_PREFIX" dev eth0 || fail "no eth0"
ip link set eth0 up
ip route add default via "$GATEWAY"
echo 1 > /proc/sys/net/ipv4/ip_forward
say "network $NODE_IP via $GATEWAY"

# The mock devices: the driver is a module of the image; VFs are enabled as the topology says.
for d in /sys/class/${SYSFS_CLASS}/*; do
  [ -e "$d/sriov_numvfs" ] || continue
  uuid=$(cat "$d/uuid")
  for pair in $NODE_VFS; do
    if [ "\${pair%%=*}" = "$uuid" ]; then echo "\${pair#*=}" > "$d/sriov_numvfs" || fail "enable VFs on $d"; fi
  done
done
say "devices: $(ls /sys/class/${SYSFS_CLASS} | tr '\\n' ' ')"

# Controllers for the kubelet's pod cgroups (cgroupfs driver; the root cgroup may hold processes).
echo "+cpuset +cpu +io +memory +pids" > /sys/fs/cgroup/cgroup.subtree_control

setsid containerd --config ${NODE_PATHS.containerdConfig} > /dev/${NODE_SERIAL.containerd} 2>&1 < /dev/null &
i=0
until ctr version > /dev/null 2>&1; do
  i=$((i + 1)); [ $i -lt 600 ] || fail "containerd did not answer in 60 s"
  sleep 0.1
done
say "containerd ready"
for image in ${NODE_PATHS.images}/*.tar; do
  [ -e "$image" ] || continue
  ctr -n k8s.io images import "$image" > /dev/null || fail "ctr images import $image"
done
say "images: $(ctr -n k8s.io images ls -q | grep -v '^sha256:' | tr '\\n' ' ')"

setsid kubelet --config=${NODE_PATHS.kubeletConfig} \\
  --bootstrap-kubeconfig=/run/mock-accel/bootstrap.kubeconfig --kubeconfig=/var/lib/kubelet/kubeconfig \\
  --cert-dir=/var/lib/kubelet/pki --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" \\
  --node-labels="$NODE_LABELS" --v=1 > /dev/${NODE_SERIAL.kubelet} 2>&1 < /dev/null &
echo "${NODE_MARKERS.kubeletStarted} (up $(cut -d' ' -f1 /proc/uptime))"
`;
}

/** The initramfs's /init: load what reading the root disk needs, mount it, switch to it. */
export function initramfsInit(modules: readonly string[]): string {
  return `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in ${modules.join(" ")}; do insmod /modules/$m || echo "${NODE_MARKERS.failed} insmod $m"; done
i=0
until [ -b /dev/vda ]; do i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.1; done
mkdir -p /newroot
if ! mount -t ext4 /dev/vda /newroot; then echo "${NODE_MARKERS.failed} cannot mount the root disk /dev/vda"; poweroff -f; fi
mount --move /dev /newroot/dev
umount /proc /sys
exec switch_root /newroot /sbin/init
`;
}
