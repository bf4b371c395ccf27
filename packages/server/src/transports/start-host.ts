// Start the host for a transport by name: the one place that maps a `--transport` value to a
// class, so serve, up, launch and the benchmarks switch transports by argument.
import type { Logger, LogLevel } from "../device/logger.ts";
import type { DeviceHost, HostTransport } from "./device-host.ts";
import { ProxyHost } from "./proxy/proxy-host.ts";
import { VfioUserHost } from "./vfio-user/host.ts";

export interface StartDeviceHostOptions {
  log?: Logger;
  /**
   * Lowest level of the transport's own messages forwarded to `log` (vfio-user's worker and
   * libvfio-user; default "info"). The proxy host logs straight to `log` and ignores it.
   */
  logLevel?: LogLevel;
}

/** Fails as the host's own start does, e.g. listing every path tried when libvfio-user is missing. */
export async function startDeviceHost(transport: HostTransport, options: StartDeviceHostOptions = {}): Promise<DeviceHost> {
  switch (transport) {
    case "vfio-user":
      return VfioUserHost.start(options);
    case "proxy":
      return ProxyHost.start({ ...(options.log !== undefined ? { log: options.log } : {}) });
  }
}
