// The node's userland from Debian's packages: containerd (1.7 applies CDI specs when told to;
// bookworm's 1.6 cannot), runc, the CNI plugins, util-linux's mount (the kubelet's mounts pass
// options busybox's does not take) and a static busybox for everything else. Taken from trixie
// with scripts/apt-unpack.sh (a private apt directory; nothing on the host is installed) and
// cached by the package list.
import { join } from "node:path";
import { cachedBuild, hashFiles, REPO_ROOT, runOk } from "@mock-accel/vm-harness";

export const NODE_SUITE = "trixie";
export const NODE_PACKAGES = ["containerd", "runc", "containernetworking-plugins", "mount", "busybox-static"] as const;
/** Pulled in by the closure but never used on the node: its firewall tools (nothing here sets rules). */
const EXCLUDED = ["iptables", "libip4tc2", "libip6tc2", "libxtables12", "libnftnl11", "libnetfilter-conntrack3", "libnfnetlink0"] as const;

const APT_UNPACK = join(REPO_ROOT, "scripts", "apt-unpack.sh");

/** The unpacked packages (a folder), built once per package list and suite. */
export async function debianNodeRoot(opts: { onProgress?: (line: string) => void } = {}): Promise<string> {
  const key = hashFiles([APT_UNPACK], [NODE_SUITE, ...NODE_PACKAGES, ...EXCLUDED.map((e) => `-${e}`)]);
  return cachedBuild("node-image", "debian", key, "root", async (out) => {
    opts.onProgress?.(`node image: unpacking Debian ${NODE_SUITE}'s ${NODE_PACKAGES.join(", ")} (about 50 MB)`);
    await runOk("bash", [APT_UNPACK, "--suite", NODE_SUITE, "--into", out, ...EXCLUDED.flatMap((e) => ["--exclude", e]), ...NODE_PACKAGES]);
  });
}
