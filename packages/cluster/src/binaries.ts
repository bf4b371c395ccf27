// Where scripts/install-kubernetes.sh put the Kubernetes components, and which release that
// is: the pinned versions live in scripts/kubernetes.versions, read by the script and here.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cacheDir, REPO_ROOT } from "@mock-accel/vm-harness";

export const INSTALL_SCRIPT = join(REPO_ROOT, "scripts", "install-kubernetes.sh");
const VERSIONS_FILE = join(REPO_ROOT, "scripts", "kubernetes.versions");

export interface PinnedVersions {
  kubernetes: string;
  oldestSupported: string;
  helm: string;
}

export function pinnedVersions(): PinnedVersions {
  const values = new Map<string, string>();
  for (const line of readFileSync(VERSIONS_FILE, "utf8").split("\n")) {
    const m = /^([A-Z_]+)=(\S+)$/.exec(line.trim());
    if (m) values.set(m[1]!, m[2]!);
  }
  const get = (key: string) => {
    const v = values.get(key);
    if (!v) throw new Error(`${VERSIONS_FILE}: no ${key}=... line`);
    return v;
  };
  return { kubernetes: get("KUBERNETES_VERSION"), oldestSupported: get("KUBERNETES_OLDEST_SUPPORTED"), helm: get("HELM_VERSION") };
}

export const COMPONENTS = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kubectl", "helm"] as const;
export type Component = (typeof COMPONENTS)[number];
export type KubernetesBinaries = { readonly [C in Component]: string } & { readonly dir: string; readonly version: string };

export function kubernetesBinDir(version = pinnedVersions().kubernetes): string {
  return join(cacheDir(), "kubernetes", version, "bin");
}

/** The command that builds what is missing (printed in errors and by `doctor`). */
export function installCommand(version?: string): string {
  const pinned = pinnedVersions().kubernetes;
  return `bash scripts/install-kubernetes.sh -v${version && version !== pinned ? ` --version ${version}` : ""}`;
}

/** The components of one release, or the reason they cannot be used. */
export function findKubernetes(version = pinnedVersions().kubernetes): { ok: true; binaries: KubernetesBinaries } | { ok: false; reason: string } {
  const dir = kubernetesBinDir(version);
  const missing = COMPONENTS.filter((c) => !existsSync(join(dir, c)));
  if (missing.length > 0) {
    return { ok: false, reason: `Kubernetes ${version} is not built (${missing.join(", ")} missing in ${dir}); build it with: ${installCommand(version)}` };
  }
  const binaries = Object.fromEntries(COMPONENTS.map((c) => [c, join(dir, c)])) as { [C in Component]: string };
  return { ok: true, binaries: { ...binaries, dir, version } };
}

export function requireKubernetes(version?: string): KubernetesBinaries {
  const found = findKubernetes(version);
  if (!found.ok) throw new Error(found.reason);
  return found.binaries;
}
