// The node's images with the real runtime: built (pause from upstream's pause.c, a static
// busybox, the compiled DRA driver), imported by trixie's containerd 1.7 with `ctr images
// import` as the node does at boot, listed under exactly IMAGE_REFS, and each run with runc.
// The driver runs as the chart's DaemonSet runs it (its entrypoint with the DaemonSet's args,
// NODE_NAME, the kubelet directories mounted) and answers the kubelet's registration and DRA
// gRPC calls over its sockets: it parsed the protos it carries, having no ../proto beside it.
import * as grpc from "@grpc/grpc-js";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { assertAvailable, requirement } from "@mock-accel/testkit";
import { DRA_PLUGIN_TYPE, kubeletProtos, type NodePrepareResourcesResponse, type PluginInfo } from "../../../apps/dra-driver/src/proto.ts";
import { buildNodeImage, buildNodeImages, IMAGE_REFS, type BuiltImage, type ImageName } from "../src/index.ts";
import { DRIVER_CONFIG } from "../src/images/driver.ts";
import { pauseSource } from "../src/images/pause.ts";
import { splitRef } from "../src/images/oci.ts";
import { BUSYBOX } from "../src/images/workload.ts";
import { mountsUnder, startContainerd, unpackedContainerd, type Containerd } from "./images-containerd.ts";

const has = (cmd: string, args: string[] = ["--version"]) => spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
const tools = { umoci: has("umoci"), gcc: has("gcc"), go: has("go", ["version"]), bun: has("bun"), patchelf: has("patchelf"), aptGet: has("apt-get"), tar: has("tar") };
const missing = Object.entries(tools).filter(([, ok]) => !ok).map(([t]) => t);
const build = requirement(
  `image tools (${missing.join(", ") || "all present"})`,
  missing.length === 0 && existsSync(BUSYBOX),
  "apt-get install umoci gcc libc6-dev patchelf busybox-static; Go >= 1.26 on the PATH (bash scripts/setup-host.sh)",
);
const root = requirement("root (containerd and runc run containers)", process.getuid?.() === 0, "run the test as root");

describe("ref names", () => {
  test("a ref splits at the tag after the last slash; refs without a valid tag or name are refused by name", () => {
    expect(splitRef("localhost:5000/mock-accel/pause:3.10")).toEqual({ name: "localhost:5000/mock-accel/pause", tag: "3.10" });
    expect(() => splitRef("localhost:5000/mock-accel/pause")).toThrow(/"localhost:5000\/mock-accel\/pause": no tag/);
    expect(() => splitRef("localhost/Mock/pause:1")).toThrow(/invalid name "localhost\/Mock\/pause"/);
    expect(() => splitRef("localhost/pause:-1")).toThrow(/invalid tag "-1"/);
    for (const ref of Object.values(IMAGE_REFS)) expect(() => splitRef(ref)).not.toThrow();
  });
});

describe.skipIf(build.skip)("node images", () => {
  let images: Record<ImageName, BuiltImage>;

  beforeAll(async () => {
    assertAvailable(build);
    images = await buildNodeImages();
  });

  test("a second build takes every archive from the cache", async () => {
    const lines: string[] = [];
    const again = await buildNodeImages({ onProgress: (l) => lines.push(l) });
    expect(again).toEqual(images);
    expect(lines).toEqual([
      `node image pause: ${IMAGE_REFS.pause} from the cache`,
      `node image workload: ${IMAGE_REFS.workload} from the cache`,
      `node image driver: ${IMAGE_REFS.driver} from the cache`,
    ]);
  });

  test("pause and workload are reproducible: a build in an empty cache gives the same manifests", async () => {
    const other = mkdtempSync(join(tmpdir(), "mock-accel-images-repro-"));
    const saved = process.env.MOCK_ACCEL_CACHE;
    process.env.MOCK_ACCEL_CACHE = other;
    try {
      for (const name of ["pause", "workload"] as const) {
        const again = await buildNodeImage(name);
        expect(again.archive.startsWith(other)).toBe(true);
        expect(again.digest).toBe(images[name].digest);
      }
    } finally {
      if (saved === undefined) delete process.env.MOCK_ACCEL_CACHE;
      else process.env.MOCK_ACCEL_CACHE = saved;
      rmSync(other, { recursive: true, force: true });
    }
  });

  test("each archive is an OCI layout whose one manifest carries the full ref for containerd and the tag", () => {
    for (const [name, image] of Object.entries(images)) {
      const index = JSON.parse(execFileSync("tar", ["-xOf", image.archive, "index.json"], { encoding: "utf8" })) as { manifests: { digest: string; annotations: Record<string, string> }[] };
      expect(index.manifests, name).toHaveLength(1);
      expect(index.manifests[0]!.digest).toBe(image.digest);
      expect(index.manifests[0]!.annotations).toEqual({
        "io.containerd.image.name": IMAGE_REFS[name as ImageName],
        "org.opencontainers.image.ref.name": splitRef(IMAGE_REFS[name as ImageName]).tag,
      });
      expect(JSON.parse(execFileSync("tar", ["-xOf", image.archive, "oci-layout"], { encoding: "utf8" }))).toEqual({ imageLayoutVersion: "1.0.0" });
    }
  });

  describe.skipIf(root.skip)("in containerd 1.7 (Debian trixie) with runc", () => {
    let dir: string;
    let containerd: Containerd | undefined;

    beforeAll(async () => {
      assertAvailable(root);
      const tree = await unpackedContainerd();
      dir = mkdtempSync(join(tmpdir(), "mock-accel-images-ctd-"));
      containerd = await startContainerd(tree, dir);
      for (const image of Object.values(images)) {
        // Exactly what the node runs at boot (plus the address of this instance).
        const r = await containerd.ctr(["images", "import", image.archive]);
        expect(r.code, `${image.archive}: ${r.stderr}${containerd.log().slice(-2000)}`).toBe(0);
      }
    });

    afterAll(async () => {
      await containerd?.stop();
      if (!dir) return;
      // Never remove a folder something is still mounted under (the removal would reach into it).
      const leaked = mountsUnder(dir);
      if (leaked.length === 0) rmSync(dir, { recursive: true, force: true });
      expect(leaked, "mounts left by containerd").toEqual([]);
    });

    test("ctr images ls shows exactly the three refs, at the built manifests", async () => {
      const r = await containerd!.ctr(["images", "ls"]);
      expect(r.code, r.stderr).toBe(0);
      const listed = r.stdout.trim().split("\n").slice(1).map((l) => l.split(/\s+/)).map((f) => ({ ref: f[0], digest: f[2] }));
      expect(listed.sort((a, b) => a.ref!.localeCompare(b.ref!))).toEqual(
        Object.values(images).map((i) => ({ ref: i.ref, digest: i.digest })).sort((a, b) => a.ref.localeCompare(b.ref)),
      );
    });

    test("containerd's transfer-API import (ctr --local=false, containerd 2's default) gives the same names", async () => {
      // Another namespace: the images above stay as the node's import left them.
      const namespace = "transfer-import";
      for (const image of Object.values(images)) {
        const r = await containerd!.ctr(["images", "import", "--local=false", "--no-unpack", image.archive], { namespace });
        expect(r.code, r.stderr).toBe(0);
      }
      const r = await containerd!.ctr(["images", "ls", "-q"], { namespace });
      expect(r.stdout.trim().split("\n").sort()).toEqual(Object.values(IMAGE_REFS).sort());
    });

    test("busybox runs a shell line with the applets a script uses", async () => {
      const line = 'echo "hello from $(cat /proc/1/comm)"; ls / | grep -c tmp; env | grep -q ^PATH= && sleep 0.1 && echo done';
      const r = await containerd!.ctr(["run", "--rm", ...containerd!.runFlags("workload"), IMAGE_REFS.workload, "workload", "sh", "-c", line]);
      expect(r.code, `${r.stderr}\n${containerd!.log().slice(-2000)}`).toBe(0);
      expect(r.stdout).toBe("hello from sh\n1\ndone\n");
    });

    test("pause prints the version it was built with, then runs as user 65535 until SIGTERM and exits 0", async () => {
      const v = await containerd!.ctr(["run", "--rm", ...containerd!.runFlags("pause-v"), IMAGE_REFS.pause, "pause-v", "/pause", "-v"]);
      expect(v.code, v.stderr).toBe(0);
      expect(v.stdout).toBe(`pause.c ${(await pauseSource()).version}\n`);
      expect(v.stdout).toMatch(/^pause\.c v\d+\.\d+(\.\d+)?-v\d+\.\d+\.\d+\n$/);

      const { done } = containerd!.runDetached(["run", "--rm", ...containerd!.runFlags("pause"), IMAGE_REFS.pause, "pause"]);
      const pid = await waitForTask(containerd!, "pause");
      expect(execFileSync("ps", ["-o", "uid=", "-p", String(pid)], { encoding: "utf8" }).trim()).toBe("65535");
      expect((await containerd!.ctr(["task", "kill", "--signal", "SIGTERM", "pause"])).code).toBe(0);
      const r = await done;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/Shutting down, got signal: Terminated/);
    });

    test("the driver runs as the DaemonSet runs it and serves the kubelet's registration and DRA APIs", async () => {
      const driverName = "mock-accel.example.com";
      const host = { registry: join(dir, "registry"), plugin: join(dir, "plugin"), cdi: join(dir, "cdi"), sa: join(dir, "serviceaccount") };
      for (const d of Object.values(host)) mkdirSync(d, { recursive: true });
      // In-cluster credentials pointing at nothing: the agent keeps retrying the API server while
      // it serves the kubelet (the sockets are what this test talks to).
      writeFileSync(join(host.sa, "token"), "not-a-token");
      writeFileSync(join(host.sa, "ca.crt"), "");
      writeFileSync(join(host.sa, "namespace"), "mock-accel-dra");
      const bind = (src: string, dst: string, mode = "rw") => ["--mount", `type=bind,src=${src},dst=${dst},options=rbind:${mode}`];
      // apps/dra-driver/src/manifests.ts's DaemonSet as the chart renders it by default: the
      // image's entrypoint with these args (ctr replaces the whole command line, Kubernetes only
      // the image's cmd), NODE_NAME, the kubelet's plugin directories and the CDI directory
      // mounted at the same paths; the service-account files Kubernetes mounts.
      const args = ["run", "--driver-name", driverName, "--watch-interval-ms", "500", "--resync-interval-ms", "60000", "--verbosity", "1"];
      const { done } = containerd!.runDetached([
        "run", "--rm", ...containerd!.runFlags("driver"),
        "--env", "NODE_NAME=node-a", "--env", "KUBERNETES_SERVICE_HOST=127.0.0.1", "--env", "KUBERNETES_SERVICE_PORT=1",
        ...bind(host.registry, "/var/lib/kubelet/plugins_registry"),
        ...bind(host.plugin, `/var/lib/kubelet/plugins/${driverName}`),
        ...bind(host.cdi, "/var/run/cdi"),
        ...bind(host.sa, "/var/run/secrets/kubernetes.io/serviceaccount", "ro"),
        IMAGE_REFS.driver, "driver", ...DRIVER_CONFIG.entrypoint!, ...args,
      ]);
      try {
        const regSocket = join(host.registry, `${driverName}-reg.sock`);
        let exited: string | undefined;
        void done.then((r) => (exited = `the driver exited (${r.code}): ${r.stderr}`));
        await waitFor(regSocket, () => existsSync(regSocket), () => exited, 60_000);
        const protos = kubeletProtos();
        const reg = new protos.registration(`unix:${regSocket}`, grpc.credentials.createInsecure());
        const info = await call<PluginInfo>(reg, "GetInfo", {});
        reg.close();
        expect(info).toEqual({ type: DRA_PLUGIN_TYPE, name: driverName, endpoint: `/var/lib/kubelet/plugins/${driverName}/dra.sock`, supportedVersions: ["v1.DRAPlugin", "v1beta1.DRAPlugin"] });
        // The endpoint is a path inside the container; the kubelet (and this test) reach it through the mount.
        const dra = new protos.dra.v1(`unix:${join(host.plugin, "dra.sock")}`, grpc.credentials.createInsecure());
        const prepared = await call<NodePrepareResourcesResponse>(dra, "NodePrepareResources", { claims: [] });
        dra.close();
        expect(prepared).toEqual({ claims: {} });
      } finally {
        await containerd!.ctr(["task", "kill", "--signal", "SIGTERM", "driver"]);
      }
      const r = await done;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout + r.stderr).toMatch(/DRA service on \/var\/lib\/kubelet\/plugins\/mock-accel.example.com\/dra.sock/);
      expect(r.stdout + r.stderr).toMatch(/stopping/);
      // Stopped cleanly: its sockets are gone.
      expect(readdirSync(host.registry)).toEqual([]);
      expect(readdirSync(host.plugin)).toEqual([]);
    });
  });
});

const sleep = (ms: number) => new Promise<undefined>((r) => setTimeout(() => r(undefined), ms));

/** Waits until `ok()`; fails at once when `failed()` says why it never will. */
async function waitFor(what: string, ok: () => boolean, failed: () => string | undefined, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!ok()) {
    const why = failed();
    if (why !== undefined) throw new Error(`waiting for ${what}: ${why}`);
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** The host pid of a running task (`ctr task ls`). */
async function waitForTask(c: Containerd, id: string): Promise<number> {
  const until = Date.now() + 60_000;
  for (;;) {
    const r = await c.ctr(["task", "ls"]);
    const row = r.stdout.split("\n").map((l) => l.trim().split(/\s+/)).find((f) => f[0] === id && f[2] === "RUNNING");
    if (row) return Number(row[1]);
    if (Date.now() > until) throw new Error(`task ${id} not running: ${r.stdout}${r.stderr}\n${c.log().slice(-2000)}`);
    await sleep(100);
  }
}

function call<Res>(client: grpc.Client, method: string, req: object): Promise<Res> {
  const fn = (client as unknown as Record<string, (r: object, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: Res) => void) => void>)[method];
  if (!fn) throw new Error(`no method ${method}`);
  return new Promise((resolve, reject) => fn.call(client, req, { deadline: Date.now() + 30_000 }, (err, res) => (err ? reject(err) : resolve(res))));
}
