// DeviceHost: what a caller (serve, up, launch, the end-to-end suite, the benchmarks) needs of a
// transport's host, whichever transport it is. VfioUserHost (libvfio-user in a worker) and
// ProxyHost (QEMU's x-pci-proxy-dev on Bun's loop) both implement it; what only one of them has
// (VfioUserHost's connection counters, ProxyHost's in-thread device models and fd adoption) stays
// on the class, reached with `instanceof`.
//
//   const host = await startDeviceHost("proxy", { log });
//   const dev = await host.addDevice({ socketPath, kind: "pf", config });
//   host.on("register-write", (e) => ...);
//   await host.close();          // removes every socket
import type { DeviceKind } from "../device/device-config.ts";
import type { DeviceConfig, RegisterName } from "../generated/registers.ts";

/** The wire a host speaks to QEMU (and to `probe`, the tests and the benchmarks). */
export const HOST_TRANSPORTS = ["vfio-user", "proxy"] as const;
export type HostTransport = (typeof HOST_TRANSPORTS)[number];

export interface AddDeviceOptions {
  socketPath: string;
  kind: DeviceKind;
  config: DeviceConfig;
  /** File mode of the socket; default DEFAULT_SOCKET_MODE (only the owner, e.g. the user running QEMU). */
  socketMode?: number;
  /** Header type multifunction bit: a PF whose VFs are functions 1..N of its slot needs it, or the guest never scans them. */
  multifunction?: boolean;
}

export interface HostedDevice {
  readonly socketPath: string;
  readonly kind: DeviceKind;
  /** Stop serving and remove the socket. */
  close(): Promise<void>;
}

export interface HostRegisterWriteEvent {
  socketPath: string;
  kind: DeviceKind;
  name: RegisterName;
  value: bigint;
  previous: bigint;
}

export interface HostClientEvent {
  socketPath: string;
  connected: boolean;
}

/** The events every host emits; a host may emit more (ProxyHost's "protocol-error"). */
export interface DeviceHostEvents {
  /** An accepted guest write to a notify register (STATUS, SRIOV_NUM_VFS) of any device. */
  "register-write": [HostRegisterWriteEvent];
  /** A client (QEMU, probe) attached to or left a device. */
  client: [HostClientEvent];
}

export interface DeviceHost {
  readonly transport: HostTransport;
  /** Sockets currently served. */
  readonly socketPaths: string[];
  /** Serve one device on a new socket. Resolves once the socket is listening. */
  addDevice(options: AddDeviceOptions): Promise<HostedDevice>;
  // One overload per event rather than a generic over DeviceHostEvents: a class whose
  // EventEmitter map has more events than these (ProxyHost) is then still assignable.
  on(event: "register-write", listener: (e: HostRegisterWriteEvent) => void): this;
  on(event: "client", listener: (e: HostClientEvent) => void): this;
  off(event: "register-write", listener: (e: HostRegisterWriteEvent) => void): this;
  off(event: "client", listener: (e: HostClientEvent) => void): this;
  /** Stop every device and remove their sockets. Calling it again waits for the first call. */
  close(): Promise<void>;
}
