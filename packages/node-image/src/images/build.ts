// buildNodeImages(): the three images a node imports at boot, each an OCI archive cached under
// <cache>/node-image/images/<name>-<key>/image/image.tar, where the key hashes every input
// (sources, tool versions, this folder's own code), built into a temporary path renamed into place.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cacheDir, cachedBuild, filesUnder, hashFiles, runOk } from "@mock-accel/vm-harness";
import { IMAGE_REFS, type ImageName } from "../image-refs.ts";
import { bunVersion, compileDriver, DRIVER_BUILD_FLAGS, driverSources, DRIVER_CONFIG, fillDriver } from "./driver.ts";
import { packImage, umociVersion, type ImageConfig } from "./oci.ts";
import { fillPause, PAUSE_CONFIG, pauseSource, pauseToolchain } from "./pause.ts";
import { BUSYBOX, fillWorkload, WORKLOAD_CONFIG } from "./workload.ts";

export interface BuiltImage {
  /** The name `ctr -n k8s.io images import` gives the image (IMAGE_REFS). */
  ref: string;
  /** OCI image layout as a tar archive. */
  archive: string;
  /** The manifest's digest, as `ctr images ls` shows it once imported. */
  digest: string;
}

export interface BuildOptions {
  /** One line per step (what is being built, or taken from the cache). */
  onProgress?: (line: string) => void;
}

export const IMAGE_NAMES = Object.keys(IMAGE_REFS) as ImageName[];

const CACHE_AREA = join("node-image", "images");

/** Where the archives are cached (under the cache root read at call time). */
function imagesCacheDir(): string {
  return join(cacheDir(), CACHE_AREA);
}

// This folder's code: a change to how images are packed rebuilds them.
const OWN_SOURCES = filesUnder(import.meta.dirname, (p) => p.endsWith(".ts"));

interface Recipe {
  /** What the key hashes besides the ref, umoci's version and this folder's code: tool versions and flags as text, input files by content. */
  texts: string[];
  files: string[];
  config: ImageConfig;
  createdBy: string;
  /** Fills the root filesystem; `scratch` is a private folder, `say` reports a long step. */
  fill: (rootfs: string, scratch: string, say: (line: string) => void) => Promise<void>;
}

async function recipe(name: ImageName): Promise<Recipe> {
  switch (name) {
    case "pause": {
      const src = await pauseSource();
      return {
        texts: [...(await pauseToolchain()), ...src.cflags], files: [src.source], config: PAUSE_CONFIG,
        createdBy: `gcc ${src.cflags.join(" ")} build/pause/linux/pause.c`, fill: (rootfs) => fillPause(src, rootfs),
      };
    }
    case "workload":
      return { texts: [], files: [BUSYBOX], config: WORKLOAD_CONFIG, createdBy: `${BUSYBOX} with its applet links`, fill: (rootfs) => fillWorkload(rootfs) };
    case "driver":
      return {
        // The libraries the image carries are glibc's: its version (Debian revision included) keys them.
        texts: [await bunVersion(), DRIVER_BUILD_FLAGS.join(" "), (await runOk("ldd", ["--version"])).split("\n")[0]!],
        files: driverSources(), config: DRIVER_CONFIG, createdBy: "bun build --compile apps/dra-driver/src/main.ts",
        fill: async (rootfs, scratch, say) => {
          const binary = join(scratch, "mock-accel-dra");
          say("compiling apps/dra-driver/src/main.ts (bun build --compile --bytecode)");
          await compileDriver(binary);
          await fillDriver(rootfs, binary);
        },
      };
  }
}

/** Builds (or takes from the cache) one image. */
export async function buildNodeImage(name: ImageName, opts: BuildOptions = {}): Promise<BuiltImage> {
  const ref = IMAGE_REFS[name];
  const r = await recipe(name);
  const key = hashFiles([...r.files, ...OWN_SOURCES], [ref, await umociVersion(), ...r.texts]);
  const fresh = !existsSync(join(imagesCacheDir(), `${name}-${key}`, "image"));
  const say = (line: string) => opts.onProgress?.(`node image ${name}: ${line}`);
  if (fresh) say(`building ${ref}`);
  const dir = await cachedBuild(CACHE_AREA, name, key, "image", async (out) => {
    mkdirSync(out);
    const work = join(out, "work");
    const scratch = join(out, "scratch");
    mkdirSync(scratch);
    const { digest } = await packImage({
      ref, config: r.config, createdBy: r.createdBy, workDir: work, out: join(out, "image.tar"),
      fill: (rootfs) => r.fill(rootfs, scratch, say), onStep: say,
    });
    writeFileSync(join(out, "image.json"), `${JSON.stringify({ ref, digest }, null, 2)}\n`);
    // Only the archive and its description stay in the cache.
    rmSync(work, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });
  const meta = JSON.parse(readFileSync(join(dir, "image.json"), "utf8")) as { ref: string; digest: string };
  if (meta.ref !== ref) throw new Error(`${join(dir, "image.json")}: ref ${meta.ref}, expected ${ref}`);
  if (!fresh) say(`${ref} from the cache`);
  return { ref, archive: join(dir, "image.tar"), digest: meta.digest };
}

/** The three images (pause, workload, driver), built one after the other (CPU is shared). */
export async function buildNodeImages(opts: BuildOptions = {}): Promise<Record<ImageName, BuiltImage>> {
  const out: Partial<Record<ImageName, BuiltImage>> = {};
  for (const name of IMAGE_NAMES) out[name] = await buildNodeImage(name, opts);
  return out as Record<ImageName, BuiltImage>;
}
