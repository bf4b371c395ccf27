// An API-server stand-in on 127.0.0.1: real HTTP, stores ResourceSlices and ResourceClaims
// (resource.k8s.io/v1) the way the real one does (resourceVersion, uid, generation,
// optimistic concurrency, field selectors, watches) and refuses what the real one refuses
// (see resource-validation.ts). Nodes can only be read (the driver owns its slices by its
// Node). Tests allocate claims through `allocateClaim`, as the scheduler would, and can make
// the next requests fail, cut every watch, or forget the watch history (410 Gone) to exercise
// the driver's recovery.
import { randomUUID } from "node:crypto";
import type { IResourceSlice } from "kubernetes-models/resource.k8s.io/v1/ResourceSlice";
import type { IResourceClaim } from "kubernetes-models/resource.k8s.io/v1/ResourceClaim";
import type { IDeviceRequest } from "kubernetes-models/resource.k8s.io/v1/DeviceRequest";
import { validateResourceSlice } from "./resource-validation.ts";

const GROUP = "/apis/resource.k8s.io/v1";

interface Meta { name?: string; namespace?: string; uid?: string; resourceVersion?: string; generation?: number; generateName?: string; creationTimestamp?: string; labels?: Record<string, string> }
type Stored = { metadata: Meta; [k: string]: unknown };

export interface AllocatedDevice { request: string; driver: string; pool: string; device: string; adminAccess?: boolean }

export interface RecordedRequest { method: string; path: string; status: number }

type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";
interface WatchEvent { revision: number; type: WatchEventType; object: Stored }
interface Watcher { fieldSelector: string | null; labelSelector: string | null; send(e: { type: string; object: unknown }): void; close(): void }

function status(code: number, reason: string, message: string): Response {
  return Response.json({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code }, { status: code });
}

function matchesSelector(obj: Stored, fieldSelector: string | null, labelSelector: string | null): boolean {
  for (const term of (fieldSelector ?? "").split(",").filter(Boolean)) {
    const [path, want] = term.split("=") as [string, string];
    let value: unknown = obj;
    for (const part of path.split(".")) value = (value as Record<string, unknown> | undefined)?.[part];
    if (String(value ?? "") !== want) return false;
  }
  for (const term of (labelSelector ?? "").split(",").filter(Boolean)) {
    const [key, want] = term.split("=") as [string, string];
    if (obj.metadata.labels?.[key] !== want) return false;
  }
  return true;
}

/** The claim's requests behind result names: `accel` is a plain request, `accel/big` a subrequest of a prioritized list. */
function claimRequests(results: string[]): IDeviceRequest[] {
  const subrequests = new Map<string, Set<string>>();
  for (const r of results) {
    const [base, sub] = r.split("/") as [string, string | undefined];
    if (!subrequests.has(base)) subrequests.set(base, new Set());
    if (sub !== undefined) subrequests.get(base)!.add(sub);
  }
  return [...subrequests].map(([name, subs]) =>
    subs.size === 0
      ? { name, exactly: { deviceClassName: "mock-accel-pf" } }
      : { name, firstAvailable: [...subs].map((s) => ({ name: s, deviceClassName: "mock-accel-pf" })) });
}

export class ApiServerStandIn {
  readonly slices = new Map<string, IResourceSlice & Stored>();
  readonly claims = new Map<string, IResourceClaim & Stored>();
  readonly requests: RecordedRequest[] = [];
  /** Every refusal's message, newest last: what the driver would see in its log. */
  readonly refusals: string[] = [];
  readonly nodes = new Map<string, Stored>();
  private revision = 1;
  /** ResourceSlice changes, oldest first, for watches that resume from a resourceVersion. */
  private history: WatchEvent[] = [];
  /** Watches resuming from before this revision get 410 Gone (as after etcd compaction). */
  private oldestRevision = 1;
  private readonly watchers = new Set<Watcher>();
  private watchWaiters: (() => void)[] = [];
  private failures: { remaining: number; code: number; only?: RegExp } = { remaining: 0, code: 500 };
  private server: ReturnType<typeof Bun.serve> | undefined;

  get url(): string {
    if (!this.server) throw new Error("API-server stand-in not started");
    return `http://127.0.0.1:${this.server.port}`;
  }

  start(): this {
    // No idle timeout: a watch is a response that stays open with nothing to say for minutes.
    this.server = Bun.serve({ hostname: "127.0.0.1", port: 0, idleTimeout: 0, fetch: (req) => this.handle(req) });
    return this;
  }

  async stop(): Promise<void> {
    this.closeWatches();
    await this.server?.stop(true);
    this.server = undefined;
  }

  /** Registers a Node (as the kubelet does); returns its UID. */
  addNode(name: string): string {
    const uid = randomUUID();
    this.nodes.set(name, { apiVersion: "v1", kind: "Node", metadata: { name, uid, resourceVersion: String(this.revision++), creationTimestamp: new Date().toISOString() } });
    return uid;
  }

  /** Open ResourceSlice watches. */
  openWatches(): number {
    return this.watchers.size;
  }

  /** Resolves when the next ResourceSlice watch is established. */
  nextWatch(): Promise<void> {
    return new Promise((resolve) => this.watchWaiters.push(resolve));
  }

  /** Ends every open watch, as an API server restart or a dropped connection would. */
  closeWatches(): void {
    for (const w of this.watchers) w.close();
    this.watchers.clear();
  }

  /** Forgets the change history: a watch resuming from an older resourceVersion gets 410 Gone. */
  compactHistory(): void {
    this.history = [];
    this.oldestRevision = this.revision;
  }

  /** The next `count` requests (those whose path and query match `only`, if given) answer `code` without touching the store. */
  failNext(count: number, code = 500, only?: RegExp): void {
    this.failures = { remaining: count, code, only };
  }

  /** Stores a claim allocated to `devices`, as the scheduler would have; returns its UID. */
  allocateClaim(namespace: string, name: string, devices: AllocatedDevice[], uid: string = randomUUID()): string {
    const claim = {
      apiVersion: "resource.k8s.io/v1" as const,
      kind: "ResourceClaim" as const,
      metadata: { name, namespace, uid, resourceVersion: String(this.revision++), creationTimestamp: new Date().toISOString() },
      spec: { devices: { requests: claimRequests(devices.map((d) => d.request)) } },
      status: { allocation: { devices: { results: devices.map((d) => ({ ...d })) } } },
    };
    this.claims.set(`${namespace}/${name}`, claim);
    return uid;
  }

  /** Slices of one node and driver, sorted by name. */
  slicesOf(nodeName: string, driver: string): IResourceSlice[] {
    return [...this.slices.values()].filter((s) => s.spec.nodeName === nodeName && s.spec.driver === driver).sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1));
  }

  private async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const res = await this.route(req, url);
    this.requests.push({ method: req.method, path: url.pathname, status: res.status });
    if (res.status >= 400) {
      const body = (await res.clone().json().catch(() => ({}))) as { message?: string };
      this.refusals.push(`${req.method} ${url.pathname}: ${res.status} ${body.message ?? ""}`);
    }
    return res;
  }

  private async route(req: Request, url: URL): Promise<Response> {
    if (this.failures.remaining > 0 && (this.failures.only === undefined || this.failures.only.test(url.pathname + url.search))) {
      this.failures.remaining--;
      return status(this.failures.code, "InternalError", "injected failure (API-server stand-in)");
    }
    const path = url.pathname;
    let m: RegExpMatchArray | null;
    if ((m = path.match(/^\/apis\/resource\.k8s\.io\/v1\/resourceslices(?:\/([^/]+))?$/))) {
      return this.collection(req, url, this.slices, m[1], "ResourceSlice", validateResourceSlice, "resourceslices");
    }
    if ((m = path.match(/^\/apis\/resource\.k8s\.io\/v1\/namespaces\/([^/]+)\/resourceclaims(?:\/([^/]+))?$/))) {
      const ns = m[1]!;
      const name = m[2];
      if (req.method === "GET" && name !== undefined) {
        const claim = this.claims.get(`${ns}/${name}`);
        return claim ? Response.json(claim) : status(404, "NotFound", `resourceclaims.resource.k8s.io "${name}" not found`);
      }
      if (req.method === "DELETE" && name !== undefined) {
        const claim = this.claims.get(`${ns}/${name}`);
        if (!claim) return status(404, "NotFound", `resourceclaims.resource.k8s.io "${name}" not found`);
        this.claims.delete(`${ns}/${name}`);
        return Response.json(claim);
      }
      return status(405, "MethodNotAllowed", `${req.method} on resourceclaims is not served by this stand-in`);
    }
    if ((m = path.match(/^\/api\/v1\/nodes\/([^/]+)$/)) && req.method === "GET") {
      const node = this.nodes.get(m[1]!);
      return node ? Response.json(node) : status(404, "NotFound", `nodes "${m[1]}" not found`);
    }
    if (path === GROUP) return Response.json({ kind: "APIResourceList", groupVersion: "resource.k8s.io/v1", resources: [] });
    return status(404, "NotFound", `the server could not find the requested resource (${path})`);
  }

  private async collection<T extends Stored>(
    req: Request, url: URL, store: Map<string, T>, name: string | undefined, kind: string,
    validate: (obj: unknown) => string[], plural: string,
  ): Promise<Response> {
    const notFound = () => status(404, "NotFound", `${plural}.resource.k8s.io "${name}" not found`);
    switch (req.method) {
      case "GET": {
        if (name !== undefined) return store.get(name) ? Response.json(store.get(name)) : notFound();
        if (url.searchParams.get("watch") === "true" || url.searchParams.get("watch") === "1") return this.watch(url);
        const items = [...store.values()].filter((o) => matchesSelector(o, url.searchParams.get("fieldSelector"), url.searchParams.get("labelSelector")));
        return Response.json({ apiVersion: "resource.k8s.io/v1", kind: `${kind}List`, metadata: { resourceVersion: String(this.revision) }, items });
      }
      case "POST": {
        if (name !== undefined) return status(405, "MethodNotAllowed", "POST to a named object");
        const obj = (await req.json()) as T;
        const errors = validate(obj);
        if (errors.length > 0) return status(422, "Invalid", `${kind}.resource.k8s.io "${obj.metadata?.name ?? ""}" is invalid: ${errors.join(", ")}`);
        const meta = obj.metadata;
        if (meta.name === undefined) meta.name = `${meta.generateName}${randomUUID().slice(0, 5)}`;
        if (store.has(meta.name)) return status(409, "AlreadyExists", `${plural}.resource.k8s.io "${meta.name}" already exists`);
        const stored = { ...obj, metadata: { ...meta, uid: randomUUID(), resourceVersion: String(this.revision++), generation: 1, creationTimestamp: new Date().toISOString() } };
        store.set(meta.name, stored);
        this.changed(plural, "ADDED", stored);
        return Response.json(stored, { status: 201 });
      }
      case "PUT": {
        const existing = name === undefined ? undefined : store.get(name);
        if (!existing) return notFound();
        const obj = (await req.json()) as T;
        if (obj.metadata?.name !== name) return status(400, "BadRequest", `the name of the object (${obj.metadata?.name}) does not match the name on the URL (${name})`);
        const errors = validate(obj);
        if (errors.length > 0) return status(422, "Invalid", `${kind}.resource.k8s.io "${name}" is invalid: ${errors.join(", ")}`);
        if (obj.metadata.resourceVersion === undefined || obj.metadata.resourceVersion === "") {
          return status(422, "Invalid", `${kind}.resource.k8s.io "${name}" is invalid: metadata.resourceVersion: Invalid value: 0: must be specified for an update`);
        }
        if (obj.metadata.resourceVersion !== existing.metadata.resourceVersion) {
          return status(409, "Conflict", `Operation cannot be fulfilled on ${plural}.resource.k8s.io "${name}": the object has been modified; please apply your changes to the latest version and try again`);
        }
        const specChanged = JSON.stringify(obj.spec) !== JSON.stringify(existing.spec);
        const stored = {
          ...obj,
          metadata: { ...obj.metadata, uid: existing.metadata.uid, creationTimestamp: existing.metadata.creationTimestamp, resourceVersion: String(this.revision++), generation: (existing.metadata.generation ?? 1) + (specChanged ? 1 : 0) },
        };
        store.set(name!, stored);
        this.changed(plural, "MODIFIED", stored);
        return Response.json(stored);
      }
      case "DELETE": {
        if (name === undefined) {
          // deletecollection, as the kubelet wipes its node's slices: `?fieldSelector=spec.nodeName=<node>`.
          const gone = [...store.values()].filter((o) => matchesSelector(o, url.searchParams.get("fieldSelector"), url.searchParams.get("labelSelector")));
          const items = gone.map((o) => {
            store.delete(o.metadata.name!);
            const deleted = { ...o, metadata: { ...o.metadata, resourceVersion: String(this.revision++) } };
            this.changed(plural, "DELETED", deleted);
            return deleted;
          });
          return Response.json({ apiVersion: "resource.k8s.io/v1", kind: `${kind}List`, metadata: { resourceVersion: String(this.revision) }, items });
        }
        const existing = store.get(name);
        if (!existing) return notFound();
        store.delete(name!);
        // The real server reports a deletion with the object at a new resourceVersion.
        const deleted = { ...existing, metadata: { ...existing.metadata, resourceVersion: String(this.revision++) } };
        this.changed(plural, "DELETED", deleted);
        return Response.json(deleted);
      }
      default:
        return status(405, "MethodNotAllowed", `${req.method} is not supported`);
    }
  }

  private changed(plural: string, type: WatchEventType, object: Stored): void {
    if (plural !== "resourceslices") return;
    const event = { revision: Number(object.metadata.resourceVersion), type, object };
    this.history.push(event);
    for (const w of this.watchers) if (matchesSelector(object, w.fieldSelector, w.labelSelector)) w.send({ type, object });
  }

  /**
   * A ResourceSlice watch: newline-delimited JSON events, as the real server streams them.
   * From resourceVersion N it replays the changes after N (410 Gone in an ERROR event when
   * they were compacted away); without one it starts with ADDED for every current object.
   */
  private watch(url: URL): Response {
    const fieldSelector = url.searchParams.get("fieldSelector");
    const labelSelector = url.searchParams.get("labelSelector");
    const from = url.searchParams.get("resourceVersion") ?? "";
    const encoder = new TextEncoder();
    const watchers = this.watchers;
    let watcher: Watcher | undefined;
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        let open = true;
        const send = (e: { type: string; object: unknown }) => open && controller.enqueue(encoder.encode(`${JSON.stringify(e)}\n`));
        const close = () => {
          if (!open) return;
          open = false;
          watchers.delete(watcher!);
          controller.close();
        };
        watcher = { fieldSelector, labelSelector, send, close };
        // Bun.serve sends a streamed response's headers without chunked framing until the first
        // chunk, and HTTP clients wait for that; the real server flushes chunked headers at once.
        // Whitespace between events is allowed in a watch stream, so start with a newline.
        controller.enqueue(encoder.encode("\n"));
        if (from === "" || from === "0") {
          for (const o of this.slices.values()) if (matchesSelector(o, fieldSelector, labelSelector)) send({ type: "ADDED", object: o });
        } else if (Number(from) < this.oldestRevision) {
          send({ type: "ERROR", object: { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: `too old resource version: ${from} (${this.oldestRevision})`, reason: "Expired", code: 410 } });
          close();
          return;
        } else {
          for (const e of this.history) if (e.revision > Number(from) && matchesSelector(e.object, fieldSelector, labelSelector)) send({ type: e.type, object: e.object });
        }
        watchers.add(watcher);
        for (const w of this.watchWaiters.splice(0)) w();
      },
      cancel: () => {
        if (watcher) watchers.delete(watcher);
      },
    });
    return new Response(stream, { headers: { "content-type": "application/json" } });
  }
}
