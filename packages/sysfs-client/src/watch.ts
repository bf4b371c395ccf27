// Polling watch: sysfs attributes and class directories deliver no inotify events, so the only
// honest way to notice VFs being enabled or a module being loaded is to look again.
import type { MockAccelDevice } from "./device.ts";
import type { MockAccelSysfsError } from "./errors.ts";

export interface DeviceEvent {
  type: "added" | "removed";
  device: MockAccelDevice;
}

export interface WatchOptions {
  /** Time between two looks. Default 1000 ms. */
  intervalMs?: number;
  /** Aborting ends the iteration cleanly (the `for await` loop just finishes). */
  signal?: AbortSignal;
  /**
   * The devices the caller already knows, e.g. from `discover()`: only changes relative to them
   * are reported ("list, then watch" without a gap or duplicates). Default: none, so every
   * device present at the start is reported as "added".
   */
  since?: readonly MockAccelDevice[];
  /**
   * false: take the first look as the starting point and report only later changes (anything
   * that changes before that first look completes is not reported; `since` has no such gap).
   * Default true. Ignored when `since` is given.
   */
  emitExisting?: boolean;
  /**
   * As `discover({ onError })`: a broken device is reported (on every poll while it stays
   * broken) and treated as absent, so it reads as "removed" when it breaks and "added" when it
   * is repaired. Without it, a broken device ends the watch with its error.
   */
  onError?: (err: MockAccelSysfsError, deviceName: string) => void;
}

/** A device that kept its name but moved to another PCI function counts as removed and added. */
const identity = (d: MockAccelDevice) => `${d.name}@${d.pciAddress}`;

export async function* watchDevices(
  list: () => Promise<MockAccelDevice[]>,
  { intervalMs = 1000, signal, since, emitExisting = true }: WatchOptions,
): AsyncGenerator<DeviceEvent, void, undefined> {
  if (!Number.isFinite(intervalMs) || intervalMs < 0) throw new RangeError(`watch: intervalMs must be a non-negative number, got ${intervalMs}`);
  let known: Map<string, MockAccelDevice> | null = since || emitExisting ? new Map((since ?? []).map((d) => [identity(d), d])) : null;
  while (!signal?.aborted) {
    const now = new Map((await list()).map((d) => [identity(d), d]));
    if (signal?.aborted) return;
    known ??= now;
    const events: DeviceEvent[] = [];
    for (const [id, device] of known) if (!now.has(id)) events.push({ type: "removed", device });
    for (const [id, device] of now) if (!known.has(id)) events.push({ type: "added", device });
    known = now;
    for (const event of events) {
      if (signal?.aborted) return; // the consumer aborted while handling the previous event
      yield event;
    }
    if (!(await sleep(intervalMs, signal))) return;
  }
}

/** Resolves true after `ms`, false as soon as `signal` aborts. Never rejects. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
