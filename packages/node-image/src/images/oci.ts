// An OCI image archive from a root filesystem the caller fills, packed with umoci (the OCI
// project's own image tool; Debian: apt-get install umoci) and archived with GNU tar, in the
// form `ctr images import` names by the `io.containerd.image.name` annotation.
//
// How containerd 1.7 names what it imports (images/archive/importer.go, import.go,
// pkg/transfer/image/imagestore.go at v1.7.24): for each manifest descriptor of the archive's
// index.json, `io.containerd.image.name` is taken as the full name when present; only
// otherwise is `org.opencontainers.image.ref.name` used, and `ctr images import` without
// --base-name then prefixes a tag-only value with "import-<date>" (with --base-name X it keeps
// only values under X; --index-name adds a name for the index itself). So the descriptor
// carries both, as containerd's own export writes them: the full ref, which no flag rewrites,
// and the tag alone (what umoci and the OCI layout spec put there).
//
// umoci workflow: unpack an empty image into a bundle, fill bundle/rootfs, repack (one layer),
// set the configuration, garbage-collect the intermediate blobs. Not `umoci insert`: Debian
// bookworm's umoci 0.4.7 writes that layer without the tar padding and end-of-archive blocks.
// Layers are reproducible: every file's mtime is set to EPOCH, the layer lists the tree in
// order, and the config and history carry EPOCH instead of the build time.
import { existsSync, lutimesSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runOk } from "@mock-accel/vm-harness";

/** The time every file, the config and the history entry carry (reproducible layers). */
export const EPOCH = new Date(0);
const EPOCH_TEXT = "1970-01-01T00:00:00Z";

/** Annotation containerd names an imported image by (images.AnnotationImageName). */
export const CONTAINERD_IMAGE_NAME = "io.containerd.image.name";
/** The OCI layout's tag annotation (ocispec.AnnotationRefName). */
export const OCI_REF_NAME = "org.opencontainers.image.ref.name";

export interface ImageConfig {
  entrypoint?: readonly string[];
  cmd?: readonly string[];
  env?: readonly string[];
  /** `uid:gid` the process runs as (default root). */
  user?: string;
  workingDir?: string;
}

export interface PackOptions {
  /** The full reference, e.g. localhost/mock-accel/pause:3.10 (a tag is required). */
  ref: string;
  /** Fills the root filesystem, an empty folder; owners and modes are kept as written. */
  fill: (rootfs: string) => Promise<void>;
  config: ImageConfig;
  /** What made the layer, for its history entry. */
  createdBy: string;
  /** A scratch folder of the caller's (layout and bundle go there). */
  workDir: string;
  /** The archive to write. */
  out: string;
  /** Told before each long step. */
  onStep?: (line: string) => void;
}

export interface PackedImage {
  /** The manifest's digest (what `ctr images ls` shows for the image). */
  digest: string;
}

/** Splits `name:tag` (the tag after the last "/"); throws on a ref without one. */
export function splitRef(ref: string): { name: string; tag: string } {
  const slash = ref.lastIndexOf("/");
  const colon = ref.lastIndexOf(":");
  if (colon <= slash) throw new Error(`image ref ${JSON.stringify(ref)}: no tag (expected name:tag)`);
  const name = ref.slice(0, colon);
  const tag = ref.slice(colon + 1);
  // The tag grammar of the distribution spec; name components: lower-case alphanumerics and separators.
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(tag)) throw new Error(`image ref ${JSON.stringify(ref)}: invalid tag ${JSON.stringify(tag)}`);
  if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(name)) {
    throw new Error(`image ref ${JSON.stringify(ref)}: invalid name ${JSON.stringify(name)}`);
  }
  return { name, tag };
}

function tool(cmd: string, args: string[]): Promise<string> {
  return runOk(cmd, args, { hint: cmd === "umoci" ? "apt-get install umoci" : undefined });
}

/** `umoci --version`, for cache keys (a different umoci may write different layers). */
export async function umociVersion(): Promise<string> {
  return (await tool("umoci", ["--version"])).trim();
}

/** Sets the mtime (and atime) of `dir` and everything under it, symlinks themselves included. */
export function setTreeTimes(dir: string, time: Date): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) setTreeTimes(p, time);
    lutimesSync(p, time, time);
  }
  lutimesSync(dir, time, time);
}

export async function packImage(o: PackOptions): Promise<PackedImage> {
  const { tag } = splitRef(o.ref);
  const layout = join(o.workDir, "layout");
  const bundle = join(o.workDir, "bundle");
  const image = `${layout}:${tag}`;
  // Unprivileged: umoci maps the caller to root in the layer instead of recording its uid.
  const rootless = typeof process.getuid === "function" && process.getuid() !== 0 ? ["--rootless"] : [];

  await tool("umoci", ["init", "--layout", layout]);
  await tool("umoci", ["new", "--image", image]);
  await tool("umoci", ["unpack", ...rootless, "--image", image, bundle]);
  const rootfs = join(bundle, "rootfs");
  await o.fill(rootfs);
  setTreeTimes(rootfs, EPOCH);
  o.onStep?.("packing the layer (umoci repack: tar and gzip)");
  await tool("umoci", ["repack", ...rootless, "--image", image, "--history.created", EPOCH_TEXT, "--history.created_by", o.createdBy, bundle]);

  const c = o.config;
  const configArgs = [
    "config", "--image", image, "--no-history", "--created", EPOCH_TEXT, "--os", "linux", "--architecture", "amd64",
    // Each repeated flag appends one element (the new image has none to start with).
    ...(c.entrypoint ?? []).flatMap((a) => ["--config.entrypoint", a]),
    ...(c.cmd ?? []).flatMap((a) => ["--config.cmd", a]),
    ...(c.env ?? []).flatMap((e) => ["--config.env", e]),
    ...(c.user ? ["--config.user", c.user] : []),
    ...(c.workingDir ? ["--config.workingdir", c.workingDir] : []),
  ];
  await tool("umoci", configArgs);
  await tool("umoci", ["gc", "--layout", layout]);

  const digest = nameInIndex(join(layout, "index.json"), o.ref, tag);
  // GNU tar, sorted, fixed owner and time: the same layout gives the same archive.
  await tool("tar", ["--sort=name", `--mtime=@${EPOCH.getTime() / 1000}`, "--owner=0", "--group=0", "--numeric-owner",
    "--mode=a+r,u+w,go-w", "-cf", o.out, "-C", layout, "oci-layout", "index.json", "blobs"]);
  return { digest };
}

interface IndexJson {
  schemaVersion: number;
  manifests: { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }[];
}

/** Gives the layout's one manifest its full name for containerd; returns the manifest digest. */
function nameInIndex(indexPath: string, ref: string, tag: string): string {
  if (!existsSync(indexPath)) throw new Error(`${indexPath}: umoci wrote no index`);
  const index = JSON.parse(readFileSync(indexPath, "utf8")) as IndexJson;
  if (index.manifests.length !== 1) throw new Error(`${indexPath}: expected one manifest, found ${index.manifests.length}`);
  const m = index.manifests[0]!;
  m.annotations = { ...m.annotations, [CONTAINERD_IMAGE_NAME]: ref, [OCI_REF_NAME]: tag };
  writeFileSync(indexPath, JSON.stringify(index));
  return m.digest;
}
