// Keeps this node's ResourceSlices equal to the devices the sysfs client sees: publishes at
// start, again whenever the client's watch reports a device added or removed, and again as
// soon as the API server's watch shows one of its slices deleted or changed by someone else
// (the kubelet deletes them when it starts and after the driver is gone); a periodic resync is
// the backstop. Retries API errors with exponential back-off, deletes slices of this node and
// driver it no longer wants (stale ones from an earlier run or a larger pool), and makes the
// Node their owner so they go with it.
import type { CoreV1Api, KubeConfig, ResourceV1Api, V1ResourceSlice } from "@kubernetes/client-node";
import type { MockAccelSysfs } from "@mock-accel/sysfs-client";
import { apiErrorText, httpStatus } from "./api-errors.ts";
import type { DeviceInventory } from "./inventory.ts";
import type { Logger } from "./logger.ts";
import { SliceWatch, type SliceEventType } from "./slice-watch.ts";
import { buildSlices, sameContent } from "./slices.ts";

export interface SlicePublisherOptions {
  api: ResourceV1Api;
  /** Reads the Node that owns the slices. */
  coreApi: CoreV1Api;
  /** For the watch on this node's slices. */
  kubeConfig: KubeConfig;
  inventory: DeviceInventory;
  sysfs: MockAccelSysfs;
  driverName: string;
  nodeName: string;
  log: Logger;
  /** How often the client's watch looks at sysfs. Default 500 ms (changes are published within 2 s). */
  watchIntervalMs?: number;
  /** First retry delay after an API error; doubles up to maxBackoffMs. Default 250 ms. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Republish this often even without events: the backstop should the slice watch miss something. Default 60 s. */
  resyncIntervalMs?: number;
}

export interface PublishResult {
  generation: number;
  slices: number;
  devices: number;
  changed: boolean;
  /** Devices left out because they could not be read (reported in the log). */
  skipped: number;
}

export class SlicePublisher {
  private readonly o: Required<SlicePublisherOptions>;
  private generation = 0;
  private dirty = true;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private watcher: Promise<void> | undefined;
  private sliceWatch: SliceWatch | undefined;
  /** resourceVersions of the slices this publisher wrote last, by name: their watch events are our own. */
  private readonly written = new Map<string, string>();
  /** Slices this publisher is deleting: their DELETED events are our own. */
  private readonly deleting = new Set<string>();
  private readonly stopping = new AbortController();
  /** The pass running now, if any: publishOnce() chains on it. */
  private passes: Promise<unknown> = Promise.resolve();
  /** Resolves after each successful publish; tests and the bench wait on it. */
  private published: { result: PublishResult; waiters: ((r: PublishResult) => void)[] } = { result: { generation: 0, slices: 0, devices: 0, changed: false, skipped: 0 }, waiters: [] };
  /** While a pass skips broken devices, when to look again (doubling up to the resync interval). */
  private skippedRetryMs = 0;
  private skippedRetry: ReturnType<typeof setTimeout> | undefined;

  constructor(options: SlicePublisherOptions) {
    this.o = { watchIntervalMs: 500, initialBackoffMs: 250, maxBackoffMs: 10_000, resyncIntervalMs: 60_000, ...options };
  }

  /**
   * One reconcile pass: throws on an API error (the loop retries). Passes never overlap: one
   * called while the loop's own pass runs waits for it (two would race each other into 409s).
   */
  publishOnce(): Promise<PublishResult> {
    const pass = this.passes.then(() => this.reconcile(), () => this.reconcile());
    this.passes = pass.catch(() => undefined);
    return pass;
  }

  private async reconcile(): Promise<PublishResult> {
    const { api, driverName, nodeName, log } = this.o;
    const snapshot = await this.o.inventory.snapshot();
    // Read every pass (one GET): a Node deleted and registered again has a new UID, and slices
    // owned by the old one would be garbage-collected.
    const nodeUid = await this.nodeUid();
    const existing = (await api.listResourceSlice({ fieldSelector: `spec.nodeName=${nodeName},spec.driver=${driverName}` })).items;
    // Start above anything already published for this pool, so the scheduler never mixes our slices with a predecessor's.
    const highest = Math.max(this.generation, ...existing.filter((s) => s.spec.pool.name === nodeName).map((s) => s.spec.pool.generation));
    let desired = buildSlices({ driverName, nodeName, nodeUid, generation: highest }, snapshot.devices);
    if (sameContent(desired, existing)) {
      if (this.generation !== highest) log.info(`pool ${nodeName} generation ${highest} is up to date: ${snapshot.devices.length} devices in ${desired.length} slice(s)`);
      this.generation = highest;
      return { generation: highest, slices: desired.length, devices: snapshot.devices.length, changed: false, skipped: snapshot.skipped.length };
    }
    desired = buildSlices({ driverName, nodeName, nodeUid, generation: highest + 1 }, snapshot.devices);
    const byName = new Map(existing.map((s) => [s.metadata?.name ?? "", s]));
    for (const slice of desired) {
      const name = slice.metadata!.name!;
      const current = byName.get(name);
      const stored = current
        ? await api.replaceResourceSlice({ name, body: { ...slice, metadata: { ...slice.metadata, resourceVersion: current.metadata?.resourceVersion } } })
        : await api.createResourceSlice({ body: slice });
      if (stored.metadata?.resourceVersion) this.written.set(name, stored.metadata.resourceVersion);
      // A deletion of ours whose event never came (the watch was down) must not hide the next one.
      this.deleting.delete(name);
      byName.delete(name);
    }
    // Obsolete slices go last: until the new generation is complete the old one stays usable.
    for (const name of byName.keys()) {
      this.deleting.add(name);
      this.written.delete(name);
      try {
        await api.deleteResourceSlice({ name });
      } catch (err) {
        this.deleting.delete(name);
        // Someone deleted it first: what we wanted.
        if (httpStatus(err) !== 404) throw err;
      }
      log.info(`deleted stale ResourceSlice ${name}`);
    }
    this.generation = highest + 1;
    log.info(`published pool ${nodeName} generation ${this.generation}: ${snapshot.devices.length} devices in ${desired.length} slice(s)${snapshot.skipped.length ? `, skipped ${snapshot.skipped.join(", ")}` : ""}`);
    return { generation: this.generation, slices: desired.length, devices: snapshot.devices.length, changed: true, skipped: snapshot.skipped.length };
  }

  /** Publishes now and keeps publishing on device changes and foreign slice changes until stop(). */
  start(): void {
    if (this.loop) return;
    this.loop = this.run();
    this.watcher = this.watch();
    this.sliceWatch = new SliceWatch({
      kubeConfig: this.o.kubeConfig, api: this.o.api, driverName: this.o.driverName, nodeName: this.o.nodeName, log: this.o.log,
      initialBackoffMs: this.o.initialBackoffMs, maxBackoffMs: this.o.maxBackoffMs,
      onEvent: (type, slice) => this.sliceEvent(type, slice),
      onList: () => this.requestPublish(),
    });
    this.sliceWatch.start();
    const resync = setInterval(() => this.requestPublish(), this.o.resyncIntervalMs);
    this.stopping.signal.addEventListener("abort", () => clearInterval(resync), { once: true });
  }

  /** Ask for a republish (e.g. after an external change the watch cannot see). */
  requestPublish(): void {
    this.dirty = true;
    this.wake?.();
  }

  /** The result of the last successful publish, if there was one. */
  lastPublished(): PublishResult | undefined {
    return this.published.result.generation === 0 ? undefined : this.published.result;
  }

  /** Resolves at the next successful publish whose result satisfies `predicate`. */
  nextPublish(predicate: (r: PublishResult) => boolean = () => true): Promise<PublishResult> {
    return new Promise((resolve) => {
      const check = (r: PublishResult) => (predicate(r) ? resolve(r) : this.published.waiters.push(check));
      this.published.waiters.push(check);
    });
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    clearTimeout(this.skippedRetry);
    this.wake?.();
    await Promise.all([this.loop, this.watcher, this.sliceWatch?.stop()]);
  }

  /** A slice event from the API server: republish unless it is the echo of our own write. */
  private sliceEvent(type: SliceEventType, slice: V1ResourceSlice): void {
    const name = slice.metadata?.name ?? "";
    if (type === "delete") {
      if (this.deleting.delete(name)) return;
      this.written.delete(name);
      this.o.log.info(`ResourceSlice ${name} was deleted by someone else; republishing`);
    } else {
      if (this.written.get(name) === slice.metadata?.resourceVersion) return;
      if (type === "update") this.o.log.info(`ResourceSlice ${name} was changed by someone else; republishing`);
    }
    this.requestPublish();
  }

  private async nodeUid(): Promise<string> {
    const { coreApi, nodeName } = this.o;
    let node;
    try {
      node = await coreApi.readNode({ name: nodeName });
    } catch (err) {
      if (httpStatus(err) === 404) throw new Error(`Node ${nodeName} not found: it owns the ResourceSlices, so they are published once it is registered`);
      throw err;
    }
    const uid = node.metadata?.uid;
    if (!uid) throw new Error(`Node ${nodeName} has no metadata.uid`);
    return uid;
  }

  private async watch(): Promise<void> {
    try {
      // Existing devices are reported too: the republish they cause is a no-op when nothing
      // changed, and it closes the gap between the first publish and the watch's first look.
      // A broken device reads as absent (its breaking and its repair both republish); the
      // publish reports it, so the watch need not log it again on every poll.
      const onError = () => {};
      for await (const event of this.o.sysfs.watch({ intervalMs: this.o.watchIntervalMs, signal: this.stopping.signal, onError })) {
        this.requestPublish();
      }
    } catch (err) {
      if (this.stopping.signal.aborted) return;
      this.o.log.error(`watching devices failed: ${apiErrorText(err)}; restarting the watch`);
      await this.sleep(this.o.initialBackoffMs);
      if (!this.stopping.signal.aborted) this.watcher = this.watch();
    }
  }

  private async run(): Promise<void> {
    let backoff = this.o.initialBackoffMs;
    while (!this.stopping.signal.aborted) {
      if (!this.dirty) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      this.dirty = false;
      try {
        const result = await this.publishOnce();
        backoff = this.o.initialBackoffMs;
        this.retrySkipped(result);
        const waiters = this.published.waiters;
        this.published = { result, waiters: [] };
        for (const w of waiters) w(result);
      } catch (err) {
        this.dirty = true;
        this.o.log.error(`publishing ResourceSlices failed: ${apiErrorText(err)}; retrying in ${backoff} ms`);
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, this.o.maxBackoffMs);
      }
    }
  }

  /**
   * A pass that skipped a broken device looks again later: the device watch cannot be relied on
   * to report its repair, since it may never have seen it broken (this pass read it between two
   * of the watch's looks). Backs off so a device that stays broken is not re-read and re-logged
   * every watch interval.
   */
  private retrySkipped(result: PublishResult): void {
    clearTimeout(this.skippedRetry);
    if (result.skipped === 0 || this.stopping.signal.aborted) {
      this.skippedRetryMs = 0;
      return;
    }
    this.skippedRetryMs = Math.min(this.skippedRetryMs === 0 ? this.o.initialBackoffMs : this.skippedRetryMs * 2, this.o.resyncIntervalMs);
    this.skippedRetry = setTimeout(() => this.requestPublish(), this.skippedRetryMs);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.stopping.signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
    });
  }
}
