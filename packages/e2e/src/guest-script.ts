// The guest's whole job in one boot (busybox sh): load the module, let the typed client
// discover the devices, enable and disable VFs, write status, generate passphrases through
// sysfs and the char device, dump the sysfs tree, unload, and print the kernel log. Each step
// prints under `@@section NAME`; the host parses the sections and asserts on them.
import { DEVICE_NAMES, SYSFS_CLASS } from "@mock-accel/sysfs-client";
import { MODULE_NAME } from "@mock-accel/kernel-driver";
import { GUEST } from "@mock-accel/guest-image";
import { SECTION_FUNCTION } from "@mock-accel/vm-harness";
export { parseSections, SECTION_MARKER } from "@mock-accel/vm-harness";


export interface GuestScriptOptions {
  /** Add the timed read loops the benchmark reports (1,000 reads each). */
  bench?: boolean;
  /** Reads per timed loop. */
  benchReads?: number;
  /**
   * Also run the Go client's discovery (GUEST.goDiscover, which the caller puts in the
   * initramfs) right after the TypeScript client's `dra` mode, with 2 VFs enabled, so the two
   * views of one real tree can be compared (sections dra-ts, dra-go).
   */
  goDiscover?: boolean;
}

/**
 * The driver numbers PFs in probe order, which follows the guest's bus scan, not the
 * topology's order (with the proxy the node-1 PF probes first). So the script finds them by
 * what they are: $P0 is the PF carrying VFs (node 0 in examples/demo.yaml), $P1 the other.
 */
export function guestScript(opts: GuestScriptOptions = {}): string {
  const reads = opts.benchReads ?? 1000;
  const C = `/sys/class/${SYSFS_CLASS}`;
  // The spec's name templates in shell: $N0 is P0's number, $V0/$V1 its VFs 0 and 1.
  const pfPrefix = DEVICE_NAMES.pf.replace("{pf}", "");
  const vf = (i: number) => DEVICE_NAMES.vf.replace("{pf}", "${N0}").replace("{vf}", String(i));
  const bench = opts.bench
    ? `
section bench-sysfs-read
${GUEST.helper} time-read ${C}/$P1/status ${reads}
section bench-sysfs-read-constant
${GUEST.helper} time-read ${C}/$P1/memory_size ${reads}
section bench-client-read
${GUEST.discover} time-status $P1 ${reads}
`
    : "";
  return `${SECTION_FUNCTION}
C=${C}
section pci
for d in /sys/bus/pci/devices/*; do echo "$(basename $d) $(cat $d/vendor) $(cat $d/device) $(cat $d/numa_node)"; done
section insmod
insmod ${GUEST.module} && echo insmod-ok
section ready
ls $C
section names
for d in $C/*; do
  t=$(cat $d/sriov_totalvfs 2>/dev/null) || continue
  if [ "$t" -gt 0 ]; then P0=\${d##*/}; else P1=\${d##*/}; fi
done
echo "P0=$P0 P1=$P1"
N0=\${P0#${pfPrefix}}; V0=${vf(0)}; V1=${vf(1)}
section discover
${GUEST.discover} discover
section numvfs-2
echo 2 > $C/$P0/sriov_numvfs && echo ok
ls $C
section discover-vfs
${GUEST.discover} discover
${opts.goDiscover ? `section dra-ts\n${GUEST.discover} dra\nsection dra-go\n${GUEST.goDiscover}\n` : ""}section tree
sh ${GUEST.dump} ${SYSFS_CLASS}
section status
echo 0x1 > $C/$P1/status && echo written
cat $C/$P1/status
${GUEST.helper} status /dev/$P1
echo bogus > $C/$P1/status 2>/dev/null || echo rejected
cat $C/$P1/status
section passphrase
echo 5 > $C/$V1/passphrase_length && echo 1 > $C/$V1/passphrase_generate && echo generated
echo "status $(cat $C/$V1/passphrase_status)"
echo "count $(cat $C/$V1/passphrase_count)"
echo "text $(cat $C/$V1/passphrase)"
echo 13 > $C/$V1/passphrase_length 2>/dev/null || echo length-13-rejected
section ioctl
${GUEST.helper} status /dev/$P0
${GUEST.helper} passphrase /dev/$P0 7
${GUEST.helper} passphrase /dev/$V0 0
${GUEST.helper} passphrase-errno /dev/$P0 13
section chardev-read
cat /dev/$P1
${bench}
section numvfs-0
echo 0 > $C/$P0/sriov_numvfs && echo ok
ls $C
section rmmod
rmmod ${MODULE_NAME} && echo rmmod-ok
ls $C 2>&1
ls /dev | grep '^${pfPrefix}[0-9]' || echo no-char-devices
section dmesg
dmesg
`;
}
