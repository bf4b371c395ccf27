// @mock-accel/sysfs-client: find mock-accel devices in sysfs, read and write their attributes
// with types from spec/registers.yaml, watch them come and go, and fake the tree in tests.
export { MockAccelSysfs, type MockAccelSysfsOptions, type DiscoverOptions } from "./client.ts";
export { STATUS_ALLOCATED } from "./register-bits.ts";
export { MockAccelDevice, DEV_DIR, type MockAccelDeviceInfo, type DeviceKind, type DeviceAttributeValues } from "./device.ts";
export type { DeviceEvent, WatchOptions } from "./watch.ts";
export {
  MockAccelSysfsError,
  DriverNotLoadedError,
  DeviceNotFoundError,
  AttributeNotFoundError,
  AttributeParseError,
  AttributeReadError,
  WriteRejectedError,
  SchemaValidationError,
  SysfsLayoutError,
} from "./errors.ts";
export {
  createFakeSysfs,
  type FakeSysfs,
  type FakeSysfsOptions,
  type FakeTopology,
  type FakePf,
  type FakeVf,
  type FakeFunction,
  type FakeAttributeValues,
} from "./fake-sysfs.ts";
export {
  toDeviceAttributes,
  dnsLabelName,
  PCIE_ROOT_ATTRIBUTE,
  type DeviceAttribute,
  type DeviceCapacity,
  type DeviceAttributesOptions,
  type DraDeviceAttributes,
} from "./dra-attributes.ts";
export { bytesToQuantity } from "./quantity.ts";
export { parseDeviceName, pfDeviceName, vfDeviceName } from "./device-names.ts";
export {
  busesPerPf,
  EXPANDER_BUS_SPAN,
  expanderBusNumber,
  guestFunctionAddress,
  guestPfBuses,
  guestPfPciPath,
  maxPfsPerNumaNode,
  type GuestPfBuses,
  type GuestTransport,
} from "./guest-pci-buses.ts";
export { MOCK_ACCEL_UUID_NAMESPACE, uuidFromLabelOrCanonical, uuidToCanonical, uuidV5, type DeviceUuid } from "./device-uuid.ts";
export {
  ATTRIBUTES,
  ATTRIBUTE_NAMES,
  CAPABILITIES_FIELDS,
  DRA_BIT_ATTRIBUTES,
  DEVICE_CONFIG_DEFAULTS,
  DEVICE_NAME,
  DEVICE_NAMES,
  FIRMWARE,
  FW_VERSION_FIELDS,
  STATUS_FIELDS,
  PCI_IDS,
  SRIOV,
  SYSFS_CLASS,
  type AttributeName,
  type AttributeSpec,
  type AttributeTypes,
  type ReadableAttributeName,
  type WritableAttributeName,
  type PassphraseStatus,
  type SemVer,
} from "./generated/attributes.ts";
