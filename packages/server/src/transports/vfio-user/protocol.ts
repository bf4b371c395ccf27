// Messages between VfioUserHost (main thread) and the event-loop worker. The main thread posts a
// message and then bumps the worker's eventfd by one; the worker, woken in epoll_wait, reads the
// counter and takes exactly that many messages off its queue. Everything here survives
// structured clone (bigint and Uint8Array included).
import type { DeviceConfig, RegisterName } from "../../generated/registers.ts";

export type DeviceKind = "pf" | "vf";
export type WorkerLogLevel = "debug" | "info" | "warn" | "error";

export interface AddDeviceRequest {
  type: "add";
  id: number;
  socketPath: string;
  kind: DeviceKind;
  config: DeviceConfig;
  /** File mode of the socket, e.g. 0o600. */
  socketMode: number;
  /** Header type multifunction bit (a PF whose VFs are functions 1..N of its slot). */
  multifunction?: boolean;
}

export type ToWorker =
  | AddDeviceRequest
  | { type: "remove"; id: number }
  | { type: "shutdown" };

export type FromWorker =
  | { type: "ready"; eventFd: number; libraryPath: string }
  | { type: "fatal"; message: string }
  | { type: "added"; id: number }
  | { type: "add-failed"; id: number; message: string }
  | { type: "removed"; id: number }
  | { type: "closed" };

/**
 * Per-event news from the worker (logs, register writes). These go through the shared
 * EventRing as JSON, never through postMessage (event-ring.ts says why); bigints travel as
 * decimal strings. Clients coming and going, which happen per connection, are the ring's own
 * one-word records instead (EventRing.pushClient).
 */
export type RingEvent =
  | { type: "log"; level: WorkerLogLevel; message: string }
  | { type: "register-write"; id: number; name: RegisterName; value: string; previous: string };

/** Counters the worker keeps in a SharedArrayBuffer (Int32 slots); the main thread only reads. */
export const COUNTER = {
  /** Connections accepted on the devices' sockets. */
  accepted: 0,
  /** Clients that completed the version handshake and were handed to libvfio-user. */
  attached: 1,
  /** Clients dropped for not completing the version handshake within the client timeout. */
  handshakeTimeouts: 2,
  /** Clients dropped for a malformed first message, or refused by libvfio-user's negotiation. */
  handshakeRefused: 3,
  /** Connections closed at once because too many handshakes were already pending. */
  overflow: 4,
  /** Clients that left after attaching (cleanly or dropped by libvfio-user). */
  detached: 5,
  /**
   * The longest the loop spent on one event (an accept, a handshake, one request), in
   * microseconds: how long any other device's access could have waited behind it.
   */
  longestEventMicros: 6,
  /**
   * The most CPU time this thread spent on one event, in microseconds. Far below
   * longestEventMicros means the long events were the thread waiting for a CPU (another
   * process ran), not work of ours: a collector pause or a slow handler shows here.
   */
  longestEventCpuMicros: 7,
  /** Times epoll_wait returned: the loop's turns, whether or not a device had work. */
  wakeups: 8,
} as const;
export const COUNTER_SLOTS = 16;

/** What the worker is told when it starts (workerData). */
export interface WorkerStart {
  libraryPath: string;
  logLevel: WorkerLogLevel | "silent";
  /**
   * Time a new client has to send its whole VERSION message; also the receive/send timeout on
   * attached client sockets, so a client stalled mid-message holds the loop at most this long.
   */
  clientTimeoutMs: number;
  /** EventRing buffer (worker writes, main thread drains). */
  events: SharedArrayBuffer;
  /** COUNTER slots. */
  counters: Int32Array;
}
