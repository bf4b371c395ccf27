// Messages between VfioUserHost (main thread) and the event-loop worker. The main thread posts a
// message and then bumps the worker's eventfd by one; the worker, woken in epoll_wait, reads the
// counter and takes exactly that many messages off its queue. Everything here survives
// structured clone (bigint and Uint8Array included).
import type { DeviceConfig } from "../../generated/registers.ts";

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
  | { type: "ready"; eventFd: number; libraryPath: string; tid: number }
  | { type: "attaching"; id: number; generation: number }
  | { type: "fatal"; message: string }
  | { type: "added"; id: number }
  | { type: "add-failed"; id: number; message: string }
  | { type: "removed"; id: number }
  | { type: "closed" }
  | { type: "log"; level: WorkerLogLevel; message: string }
  | { type: "client"; id: number; connected: boolean }
  | { type: "register-write"; id: number; name: string; value: bigint; previous: bigint };

/** What the worker is told when it starts (workerData). */
export interface WorkerStart {
  libraryPath: string;
  logLevel: WorkerLogLevel | "silent";
  /** Receive/send timeout on client sockets, so a stalled client cannot hold the loop. */
  clientTimeoutMs: number;
  /** attach-watchdog.ts: shared with the main thread, which interrupts a stalled attach. */
  attachState: Int32Array;
}
