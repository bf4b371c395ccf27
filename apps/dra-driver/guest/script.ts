// The guest's job for the in-guest test (busybox sh): load the module, enable the VFs, let the
// driver's code (guest/dra-guest.ts, compiled) describe the node and prepare then unprepare a
// claim, reading STATUS through sysfs in between. Each step prints under `@@section NAME`
// (parsed by @mock-accel/e2e's parseSections); `up` lines carry /proc/uptime for timings.

/** Guest path of the compiled guest/dra-guest.ts. */
export const DRA_GUEST_BIN = "/bin/dra-guest";
/** The node the guest's hostname is set to; the pool is named after it. */
export const GUEST_NODE = "dra-node-0";
/** The UID of the claim the guest prepares. */
export const GUEST_CLAIM_UID = "7a3c2e1f-0b4d-4e8a-9c61-5d2f8b7e4a10";

export function draGuestScript(opts: { modulePath: string }): string {
  const C = "/sys/class/mock-accel";
  return `section() { echo "@@section $1"; echo "up $(cut -d' ' -f1 /proc/uptime)"; }
C=${C}
hostname ${GUEST_NODE}
NODE=$(hostname)
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
${DRA_GUEST_BIN} slices $NODE
section prepare
${DRA_GUEST_BIN} prepare $NODE ${GUEST_CLAIM_UID} $P1
section status-prepared
cat $C/$P1/status
section unprepare
${DRA_GUEST_BIN} unprepare $NODE ${GUEST_CLAIM_UID}
section status-unprepared
cat $C/$P1/status
ls /tmp/dra/cdi
section rmmod
echo 0 > $C/$P0/sriov_numvfs
rmmod mock_accel && echo rmmod-ok
section dmesg
dmesg
`;
}
