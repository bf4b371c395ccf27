// @mock-accel/server public API. Transports may append their own export lines below.
export { MockDevice, type MockDeviceOptions, type MockDeviceEvents, type RegisterWriteEvent } from "./device/mock-device.ts";
export {
  buildDeviceConfig,
  parseSize,
  uuidFromLabelOrCanonical,
  uuidToCanonical,
  MOCK_ACCEL_UUID_NAMESPACE,
  type DeviceConfigOptions,
  type DeviceKind,
  type DeviceUuid,
} from "./device/device-config.ts";
export { PciConfigSpace, PCI_CFG, PCIE_CAP, SRIOV_CAP, type PciConfigSpaceOptions } from "./device/config-space.ts";
export { RegisterFile } from "./device/register-file.ts";
// The wordlist only through a function: re-exported as a value it was loaded (~10 MB) by every
// process importing this package, though only a device drawing a passphrase needs it.
export { effWords, WordPicker } from "./device/passphrase.ts";
export { createConsoleLogger, silentLogger, MemoryLogger, type Logger, type LogLevel } from "./device/logger.ts";
export {
  type DeviceHost,
  type DeviceHostEvents,
  type HostTransport,
  HOST_TRANSPORTS,
} from "./transports/device-host.ts";
export { startDeviceHost, type StartDeviceHostOptions } from "./transports/start-host.ts";
export {
  VfioUserHost,
  DEFAULT_SOCKET_MODE,
  type VfioUserHostOptions,
  type AddDeviceOptions,
  type HostedDevice,
  type HostRegisterWriteEvent,
  type HostClientEvent,
} from "./transports/vfio-user/host.ts";
export { LibraryNotFoundError, libvfioUserPrefix, INSTALL_COMMAND as LIBVFIO_USER_INSTALL_COMMAND } from "./transports/vfio-user/library-path.ts";
export { findInstallation as findLibvfioUserInstallation, libvfioUserInstalled } from "./transports/vfio-user/libvfio-user.ts";
export { SocketPathError, MAX_SOCKET_PATH_BYTES } from "./transports/socket-path.ts";
export { runServe, parseServeArgs, SERVE_USAGE, type ServeOptions } from "./serve/serve.ts";
export { parseSocketMode } from "./serve/socket-mode.ts";
export { VfioUserClient, VfioUserError, type ConnectOptions, type DeviceInfo, type RegionInfo, type VersionInfo } from "./client/vfio-user-client.ts";
export { PCI_REGION, VfioUserCommand, regionName } from "./client/vfio-user-protocol.ts";
export { encodeVersionMessage } from "./client/vfio-user-codec.ts";
export { probeDevice, formatProbeReport, runProbe, PROBE_USAGE, type ProbeReport, type ProbeIo } from "./client/probe.ts";
export { decodeConfigSpace, type DecodedConfigSpace, type DecodedCapability, type DecodedSriov } from "./device/config-decode.ts";
export { decodeRegister, decodeBar0, type DecodedRegister } from "./device/register-decode.ts";
export { CAPABILITIES_FIELDS, FW_VERSION_FIELDS, PCI, REG, REGISTERS, DEVICE_CONFIG, type DeviceConfig, type RegisterName } from "./generated/registers.ts";
export {
  ProxyHost,
  type ProxyHostOptions,
  type ProxyAddDeviceOptions,
  type ProxyHostedDevice,
  type ProxyRegisterWriteEvent,
  type ProxyClientEvent,
  type ProxyProtocolErrorEvent,
} from "./transports/proxy/proxy-host.ts";
export { ProxyClient } from "./transports/proxy/proxy-client.ts";
export { parseMessages as parseProxyMessages, type ProtocolError as ProxyProtocolError } from "./transports/proxy/parser.ts";
export { connectUnixSocket, closeFd, unixSocketPair } from "./transports/proxy/unix-socket.ts";
export { checkProxyQemu, parseQemuVersion, proxyUnsupportedReason, type ProxyQemuCheck, type QemuVersion } from "./transports/proxy/qemu-support.ts";
