// A line-per-fact description of the sysfs layout mock-accel devices have, produced two ways
// that must agree: `describeLayout(root)` here, and LAYOUT_SCRIPT, a busybox-compatible shell
// script for a guest (which has no Bun or Node). An end-to-end test runs the script in a guest
// with the real driver and compares its lines with describeLayout() of a fake tree of the same
// topology, so the fake cannot drift from the kernel unnoticed. Values that differ per device
// (uuid, memory) are left out: this is about where things are, their names, links and modes.
import { readdir, readFile, readlink, stat } from "node:fs/promises";
import { join } from "node:path";
import { SYSFS_CLASS } from "./generated/attributes.ts";

/** PCI function files the client reads or a DRA driver may: compared by value. */
export const LAYOUT_PCI_FILES = ["vendor", "device", "class", "subsystem_vendor", "subsystem_device", "revision", "numa_node"] as const;

/** Class device entries the kernel adds that the fake does not model (runtime PM). */
const IGNORED_CLASS_ENTRIES = new Set(["power"]);

/** `sh -s -- /sys < script` (busybox ash is enough). Prints the same lines as describeLayout(). */
export const LAYOUT_SCRIPT = `LC_ALL=C; export LC_ALL
S=\${1:-/sys}
C=$S/class/${SYSFS_CLASS}
for e in $(ls $C/); do
  d=$C/$e
  echo "class $e -> $(readlink $d)"
  echo "classdev $e device -> $(readlink $d/device)"
  echo "classdev $e subsystem -> $(readlink $d/subsystem)"
  echo "classdev $e files" $(ls $d/ | grep -v '^${[...IGNORED_CLASS_ENTRIES].join("$\\|^")}$')
  for f in $(ls $d/); do
    case $f in ${[...IGNORED_CLASS_ENTRIES, "device", "subsystem"].join("|")}) continue;; esac
    echo "classdev $e mode $f $(stat -L -c %a $d/$f)"
  done
done
for a in $(ls $S/bus/pci/drivers/${SYSFS_CLASS}/ | grep :); do
  p=$S/bus/pci/devices/$a
  line="pci $a"
  for f in ${LAYOUT_PCI_FILES.join(" ")}; do line="$line $f=$(cat $p/$f)"; done
  echo "$line"
  echo "pci $a uevent" $(cat $p/uevent)
  echo "pci $a -> $(readlink $p)"
  echo "pci $a driver -> $(readlink $p/driver)"
done
`;

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

async function sortedDir(path: string): Promise<string[]> {
  return (await readdir(path)).sort(byCodeUnit);
}

/** The layout facts of every mock-accel class device and every PCI function bound to the driver. */
export async function describeLayout(root = "/sys"): Promise<string[]> {
  const lines: string[] = [];
  const classDir = join(root, "class", SYSFS_CLASS);
  for (const e of await sortedDir(classDir)) {
    const d = join(classDir, e);
    lines.push(`class ${e} -> ${await readlink(d)}`);
    lines.push(`classdev ${e} device -> ${await readlink(join(d, "device"))}`);
    lines.push(`classdev ${e} subsystem -> ${await readlink(join(d, "subsystem"))}`);
    const files = await sortedDir(d);
    lines.push(`classdev ${e} files ${files.filter((f) => !IGNORED_CLASS_ENTRIES.has(f)).join(" ")}`);
    for (const f of files) {
      if (IGNORED_CLASS_ENTRIES.has(f) || f === "device" || f === "subsystem") continue;
      lines.push(`classdev ${e} mode ${f} ${((await stat(join(d, f))).mode & 0o777).toString(8)}`);
    }
  }
  const driverDir = join(root, "bus", "pci", "drivers", SYSFS_CLASS);
  for (const a of (await sortedDir(driverDir)).filter((n) => n.includes(":"))) {
    const p = join(root, "bus", "pci", "devices", a);
    const values = await Promise.all(LAYOUT_PCI_FILES.map(async (f) => `${f}=${(await readFile(join(p, f), "utf8")).trim()}`));
    lines.push(`pci ${a} ${values.join(" ")}`);
    const uevent = (await readFile(join(p, "uevent"), "utf8")).split("\n").filter((l) => l !== "");
    lines.push(`pci ${a} uevent ${uevent.join(" ")}`);
    lines.push(`pci ${a} -> ${await readlink(p)}`);
    lines.push(`pci ${a} driver -> ${await readlink(join(p, "driver"))}`);
  }
  return lines;
}
