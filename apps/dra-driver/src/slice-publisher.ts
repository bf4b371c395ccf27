// Keeps this node's ResourceSlices equal to the devices the sysfs client sees: publishes at
// start, again whenever the client's watch reports a device added or removed, retries API
// errors with exponential back-off, and deletes slices of this node and driver it no longer
// wants (stale ones from an earlier run or a larger pool).
import type { ResourceV1Api, V1ResourceSlice } from "@kubernetes/client-node";
import type { MockAccelSysfs } from "@mock-accel/sysfs-client";
import type { DeviceInventory } from "./inventory.ts";
import type { Logger } from "./logger.ts";
import { buildSlices, sameContent } from "./slices.ts";

export interface SlicePublisherOptions {
  api: ResourceV1Api;
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
  /** Republish this often even without device events, repairing slices someone else changed or deleted. Default 60 s. */
  resyncIntervalMs?: number;
}

export interface PublishResult {
  generation: number;
  slices: number;
  devices: number;
  changed: boolean;
}

function errorText(err: unknown): string {
  const e = err as { code?: unknown; body?: unknown; message?: unknown };
  let body = "";
  if (typeof e.body === "string") {
    try {
      body = (JSON.parse(e.body) as { message?: string }).message ?? e.body;
    } catch {
      body = e.body;
    }
  }
  const first = typeof e.message === "string" ? e.message.split("\n")[0] : String(err);
  return body ? `${typeof e.code === "number" ? `HTTP ${e.code}: ` : ""}${body}` : (first ?? String(err));
}

export class SlicePublisher {
  private readonly o: Required<SlicePublisherOptions>;
  private generation = 0;
  private dirty = true;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private watcher: Promise<void> | undefined;
  private readonly stopping = new AbortController();
  /** Resolves after each successful publish; tests and the bench wait on it. */
  private published: { result: PublishResult; waiters: ((r: PublishResult) => void)[] } = { result: { generation: 0, slices: 0, devices: 0, changed: false }, waiters: [] };

  constructor(options: SlicePublisherOptions) {
    this.o = { watchIntervalMs: 500, initialBackoffMs: 250, maxBackoffMs: 10_000, resyncIntervalMs: 60_000, ...options };
  }

  /** One reconcile pass: throws on an API error (the loop retries). */
  async publishOnce(): Promise<PublishResult> {
    const { api, driverName, nodeName, log } = this.o;
    const snapshot = await this.o.inventory.snapshot();
    const existing = (await api.listResourceSlice({ fieldSelector: `spec.nodeName=${nodeName},spec.driver=${driverName}` })).items;
    // Start above anything already published for this pool, so the scheduler never mixes our slices with a predecessor's.
    const highest = Math.max(this.generation, ...existing.filter((s) => s.spec.pool.name === nodeName).map((s) => s.spec.pool.generation));
    let desired = buildSlices({ driverName, nodeName, generation: highest }, snapshot.devices);
    if (sameContent(desired, existing)) {
      if (this.generation !== highest) log.info(`pool ${nodeName} generation ${highest} is up to date: ${snapshot.devices.length} devices in ${desired.length} slice(s)`);
      this.generation = highest;
      return { generation: highest, slices: desired.length, devices: snapshot.devices.length, changed: false };
    }
    desired = buildSlices({ driverName, nodeName, generation: highest + 1 }, snapshot.devices);
    const byName = new Map(existing.map((s) => [s.metadata?.name ?? "", s]));
    for (const slice of desired) {
      const name = slice.metadata!.name!;
      const current = byName.get(name);
      if (current) {
        const body: V1ResourceSlice = { ...slice, metadata: { ...slice.metadata, resourceVersion: current.metadata?.resourceVersion } };
        await api.replaceResourceSlice({ name, body });
      } else {
        await api.createResourceSlice({ body: slice });
      }
      byName.delete(name);
    }
    // Obsolete slices go last: until the new generation is complete the old one stays usable.
    for (const name of byName.keys()) {
      await api.deleteResourceSlice({ name });
      log.info(`deleted stale ResourceSlice ${name}`);
    }
    this.generation = highest + 1;
    log.info(`published pool ${nodeName} generation ${this.generation}: ${snapshot.devices.length} devices in ${desired.length} slice(s)${snapshot.skipped.length ? `, skipped ${snapshot.skipped.join(", ")}` : ""}`);
    return { generation: this.generation, slices: desired.length, devices: snapshot.devices.length, changed: true };
  }

  /** Publishes now and keeps publishing on device changes until stop(). */
  start(): void {
    if (this.loop) return;
    this.loop = this.run();
    this.watcher = this.watch();
    const resync = setInterval(() => this.requestPublish(), this.o.resyncIntervalMs);
    this.stopping.signal.addEventListener("abort", () => clearInterval(resync), { once: true });
  }

  /** Ask for a republish (e.g. after an external change the watch cannot see). */
  requestPublish(): void {
    this.dirty = true;
    this.wake?.();
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
    this.wake?.();
    await Promise.all([this.loop, this.watcher]);
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
      this.o.log.error(`watching devices failed: ${errorText(err)}; restarting the watch`);
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
        const waiters = this.published.waiters;
        this.published = { result, waiters: [] };
        for (const w of waiters) w(result);
      } catch (err) {
        this.dirty = true;
        this.o.log.error(`publishing ResourceSlices failed: ${errorText(err)}; retrying in ${backoff} ms`);
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, this.o.maxBackoffMs);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.stopping.signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
    });
  }
}
