// The device model as the event-loop worker sees it: a MockDevice living in the worker thread,
// with its log and its register-write events forwarded to the main thread.
import { BAR0_SIZE_BYTES, type RegisterName } from "../../generated/registers.ts";
import { MockDevice } from "../../device/mock-device.ts";
import type { AddDeviceRequest, WorkerLogLevel } from "./protocol.ts";

export interface WorkerDevice {
  readonly bar0SizeBytes: number;
  bar0Read(offsetBytes: number, out: Uint8Array): void;
  bar0Write(offsetBytes: number, data: Uint8Array): void;
  /** Config space beyond what libvfio-user answers itself. */
  configRead(offsetBytes: number, out: Uint8Array): void;
  configWrite(offsetBytes: number, data: Uint8Array): void;
  /** The full 4 KiB image (header included) copied into libvfio-user at set-up. */
  configImage(): Uint8Array;
  reset(): void;
}

export interface WorkerDeviceSinks {
  log(level: WorkerLogLevel, message: string): void;
  registerWrite(name: RegisterName, value: bigint, previous: bigint): void;
}

export function createWorkerDevice(req: AddDeviceRequest, sinks: WorkerDeviceSinks): WorkerDevice {
  const device = new MockDevice({
    kind: req.kind,
    config: req.config,
    multifunction: req.multifunction,
    log: {
      debug: (m) => sinks.log("debug", m),
      info: (m) => sinks.log("info", m),
      warn: (m) => sinks.log("warn", m),
      error: (m) => sinks.log("error", m),
    },
  });
  device.on("register-write", (e) => sinks.registerWrite(e.name, e.value, e.previous));
  return {
    bar0SizeBytes: BAR0_SIZE_BYTES,
    bar0Read: (offset, out) => device.bar0Read(offset, out),
    bar0Write: (offset, data) => device.bar0Write(offset, data),
    configRead: (offset, out) => device.configSpace.readInto(offset, out),
    configWrite: (offset, data) => device.configSpace.writeFrom(offset, data),
    configImage: () => device.configSpace.bytes,
    reset: () => device.reset(),
  };
}
