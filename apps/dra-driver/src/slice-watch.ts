// Watches this node's and driver's ResourceSlices (list + watch through @kubernetes/client-node's
// ListWatch, field selector spec.driver + spec.nodeName) and reports every add, change and
// delete, so the publisher can put back within moments what someone else removed: the kubelet
// deletes every slice of its node when it starts, and a driver's slices 30 s after the driver
// goes away. ListWatch re-lists by itself after 410 Gone and resumes after a stream ends; any
// other error stops it, so this restarts it with exponential back-off.
import { ListWatch, Watch, type KubeConfig, type ResourceV1Api, type V1ResourceSlice, type V1ResourceSliceList } from "@kubernetes/client-node";
import { apiErrorText } from "./api-errors.ts";
import type { Logger } from "./logger.ts";

export type SliceEventType = "add" | "update" | "delete";

export interface SliceWatchOptions {
  kubeConfig: KubeConfig;
  api: ResourceV1Api;
  driverName: string;
  nodeName: string;
  log: Logger;
  onEvent(type: SliceEventType, slice: V1ResourceSlice): void;
  /** After every successful list (start, restart, 410 Gone): the events of a gap may be lost. */
  onList(): void;
  /** First restart delay after an error; doubles up to maxBackoffMs. */
  initialBackoffMs: number;
  maxBackoffMs: number;
}

const PATH = "/apis/resource.k8s.io/v1/resourceslices";
/** How long stop() waits for a watch request still being opened, so it can be closed too. */
const STOP_GRACE_MS = 2_000;

export class SliceWatch {
  private readonly informer: ListWatch<V1ResourceSlice>;
  private stopped = false;
  private backoff: number;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private starting: Promise<void> = Promise.resolve();

  constructor(private readonly o: SliceWatchOptions) {
    this.backoff = o.initialBackoffMs;
    const fieldSelector = `spec.driver=${o.driverName},spec.nodeName=${o.nodeName}`;
    const list = async (): Promise<V1ResourceSliceList> => {
      const result = await o.api.listResourceSlice({ fieldSelector });
      this.backoff = o.initialBackoffMs;
      if (!this.stopped) o.onList();
      return result;
    };
    this.informer = new ListWatch<V1ResourceSlice>(PATH, new Watch(o.kubeConfig), list, false, undefined, fieldSelector);
    for (const type of ["add", "update", "delete"] as const) {
      this.informer.on(type, (slice) => {
        // An event means the watch works again.
        this.backoff = o.initialBackoffMs;
        if (!this.stopped) o.onEvent(type, slice);
      });
    }
    this.informer.on("error", (err) => this.failed(err));
  }

  start(): void {
    this.starting = this.informer.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.informer.stop();
    // A watch request still being opened is only abortable once it is open: wait for it (briefly), then close it.
    await Promise.race([this.starting, new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref?.())]);
    await this.informer.stop();
  }

  private failed(err: unknown): void {
    // Stopping aborts the open request, which ListWatch reports as an error.
    if (this.stopped) return;
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.o.maxBackoffMs);
    this.o.log.warn(`watching ResourceSlices failed: ${apiErrorText(err)}; restarting the watch in ${delay} ms`);
    clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      if (!this.stopped) this.starting = this.informer.start();
    }, delay);
  }
}
