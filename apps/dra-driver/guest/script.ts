// The guest's job for the in-guest test (busybox sh): share this checkout into the guest over
// 9p, load the module, enable the VFs, and let Bun run the driver's own sources from the share
// (guest/dra-guest.ts): describe the node as ResourceSlices, prepare a claim, unprepare it in a
// fresh process, reading STATUS through sysfs in between. Each step prints under
// `@@section NAME` (parsed by @mock-accel/e2e's parseSections); `up` lines carry /proc/uptime.
import { DEVICE_NAME, SYSFS_CLASS } from "@mock-accel/sysfs-client";

/** Where Bun's executable goes in the initramfs. */
export const GUEST_BUN = "/bin/bun";
/** Where the checkout is mounted in the guest. */
export const GUEST_REPO = "/repo";
/** The node the guest's hostname is set to; the pool is named after it. */
export const GUEST_NODE = "dra-node-0";
/** The UID of the claim the guest prepares. */
export const GUEST_CLAIM_UID = "7a3c2e1f-0b4d-4e8a-9c61-5d2f8b7e4a10";

const MOUNT_TAG = "checkout";

/**
 * Debian builds virtio-pci and 9p as modules; in load order (each after what it depends on), as
 * paths under `lib/modules/<version>/kernel/` of the kernel package.
 */
export const NINEP_MODULES = [
  "drivers/virtio/virtio_ring.ko",
  "drivers/virtio/virtio.ko",
  "drivers/virtio/virtio_pci_modern_dev.ko",
  "drivers/virtio/virtio_pci_legacy_dev.ko",
  "drivers/virtio/virtio_pci.ko",
  "net/9p/9pnet.ko",
  "net/9p/9pnet_virtio.ko",
  "fs/netfs/netfs.ko",
  "fs/fscache/fscache.ko",
  "fs/9p/9p.ko",
] as const;

/** Guest path of a 9p module in the initramfs. */
export const guestModulePath = (m: string) => `/lib/modules/9p/${m.split("/").pop()}`;

/**
 * QEMU arguments sharing `hostDir` read-only. This is `-virtfs local,...` spelled out: `-virtfs`
 * plugs its virtio-9p-pci into the default bus, which with the topology's pxb-pcie expanders is
 * one of them ("Only PCI/PCIe bridges can be plugged into pxb-pcie"), so the device is put on
 * the root complex by hand.
 */
export function shareArgs(hostDir: string): string[] {
  return [
    "-fsdev", `local,id=${MOUNT_TAG},path=${hostDir},security_model=none,readonly=on`,
    "-device", `virtio-9p-pci,fsdev=${MOUNT_TAG},mount_tag=${MOUNT_TAG},bus=pcie.0`,
  ];
}

export function draGuestScript(opts: { modulePath: string; driverName: string }): string {
  const C = `/sys/class/${SYSFS_CLASS}`;
  const run = `${GUEST_BUN} ${GUEST_REPO}/apps/dra-driver/guest/dra-guest.ts`;
  return `section() { echo "@@section $1"; echo "up $(cut -d' ' -f1 /proc/uptime)"; }
C=${C}
hostname ${GUEST_NODE}
NODE=$(hostname)
section share
for m in ${NINEP_MODULES.map(guestModulePath).join(" ")}; do insmod $m || echo "insmod $m failed"; done
mkdir -p ${GUEST_REPO}
# msize: the largest virtio allows; cache=loose: the share is read-only for the whole boot.
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose,ro ${MOUNT_TAG} ${GUEST_REPO} && echo mounted
# The share is read-only: no transpiler cache; HOME for anything else Bun wants to write.
export HOME=/tmp BUN_RUNTIME_TRANSPILER_CACHE_PATH=0 DRA_DRIVER_NAME=${opts.driverName}
echo "bun $(${GUEST_BUN} --version)"
section insmod
insmod ${opts.modulePath} && echo insmod-ok
section ready
ls $C
section names
# PFs are numbered in probe order (bus scan), not topology order: find them by what they are.
for d in $C/*; do
  t=$(cat $d/sriov_totalvfs 2>/dev/null) || continue
  if [ "$t" -gt 0 ]; then P0=\${d##*/}; else P1=\${d##*/}; fi
done
echo "P0=$P0 P1=$P1 NODE=$NODE"
section numvfs-2
echo 2 > $C/$P0/sriov_numvfs && echo ok
section pci
for d in $C/*; do echo "\${d##*/} $(basename $(readlink -f $d/device))"; done
section slices
${run} slices $NODE
section prepare
${run} prepare $NODE ${GUEST_CLAIM_UID} $P1
section status-prepared
cat $C/$P1/status
section unprepare
${run} unprepare $NODE ${GUEST_CLAIM_UID}
section status-unprepared
cat $C/$P1/status
ls /tmp/dra/cdi
section rmmod
echo 0 > $C/$P0/sriov_numvfs
rmmod ${DEVICE_NAME} && echo rmmod-ok
section dmesg
dmesg
`;
}
