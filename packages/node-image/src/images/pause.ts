// The pod sandbox image: upstream's build/pause/linux/pause.c from the k8s.io/kubernetes module
// of the pinned release (Go's module cache; scripts/install-kubernetes.sh fills it), compiled as
// upstream's build/pause/Makefile does (`-Os -Wall -Werror -static -DVERSION=v$(TAG)-$(REV)`,
// TAG read from that Makefile, REV the release, which `git describe --contains` gives for a
// release checkout), in an image laid out as upstream's Dockerfile: /pause, user 65535:65535.
import { existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT, runOk } from "@mock-accel/vm-harness";
import type { ImageConfig } from "./oci.ts";

const VERSIONS_FILE = join(REPO_ROOT, "scripts", "kubernetes.versions");

/** KUBERNETES_VERSION of scripts/kubernetes.versions (the release whose pause.c is built). */
export function pinnedKubernetesVersion(): string {
  const m = /^KUBERNETES_VERSION=(\S+)$/m.exec(readFileSync(VERSIONS_FILE, "utf8"));
  if (!m) throw new Error(`${VERSIONS_FILE}: no KUBERNETES_VERSION=... line`);
  return m[1]!;
}

export interface PauseSource {
  /** .../build/pause/linux/pause.c in the module cache. */
  source: string;
  /** The Makefile's TAG, e.g. 3.10.2. */
  tag: string;
  /** The -DVERSION value: v<TAG>-v<release>. */
  version: string;
  cflags: string[];
}

/** Finds pause.c of release `kubernetesVersion` through `go mod download` (offline once cached). */
export async function pauseSource(kubernetesVersion = pinnedKubernetesVersion()): Promise<PauseSource> {
  const module = `k8s.io/kubernetes@v${kubernetesVersion}`;
  // Outside any module or workspace of this tree: only the module cache (and Go's own proxy
  // configuration when it is not cached yet) is asked.
  const json = await runOk("go", ["mod", "download", "-json", module], {
    cwd: tmpdir(), env: { ...process.env, GOWORK: "off", GOFLAGS: "-mod=mod" }, hint: "Go >= 1.26 on the PATH; bash scripts/install-kubernetes.sh fills the module cache",
  }).catch((err: Error) => {
    // go prints the JSON (with an Error field) and exits 1 when the module cannot be had.
    const m = /"Error":\s*"([^"]*)"/.exec(err.message);
    throw new Error(`go mod download ${module}: ${m ? m[1] : err.message}`);
  });
  const dir = (JSON.parse(json) as { Dir?: string }).Dir;
  if (!dir) throw new Error(`go mod download ${module}: no Dir in its answer`);
  const source = join(dir, "build", "pause", "linux", "pause.c");
  const makefile = join(dir, "build", "pause", "Makefile");
  if (!existsSync(source) || !existsSync(makefile)) throw new Error(`${module}: build/pause/linux/pause.c or build/pause/Makefile missing in ${dir}`);
  const tag = /^TAG \?= (\S+)$/m.exec(readFileSync(makefile, "utf8"))?.[1];
  if (!tag) throw new Error(`${makefile}: no "TAG ?= ..." line`);
  const version = `v${tag}-v${kubernetesVersion}`;
  return { source, tag, version, cflags: ["-Os", "-Wall", "-Werror", "-static", `-DVERSION=${version}`] };
}

export const PAUSE_CONFIG: ImageConfig = { entrypoint: ["/pause"], user: "65535:65535" };

/** Compiles pause.c into `rootfs/pause`. */
export async function fillPause(src: PauseSource, rootfs: string): Promise<void> {
  await runOk("gcc", [...src.cflags, "-o", join(rootfs, "pause"), src.source], { hint: "apt-get install gcc libc6-dev" });
}

/** What the pause build depends on besides pause.c: the compiler and the C library it links statically. */
export async function pauseToolchain(): Promise<string[]> {
  const gcc = (await runOk("gcc", ["--version"], { hint: "apt-get install gcc libc6-dev" })).split("\n")[0]!;
  const libc = (await runOk("ldd", ["--version"])).split("\n")[0]!;
  return [gcc, libc];
}
