// @mock-accel/dra-driver: the reference Kubernetes DRA driver for mock-accel devices, built on
// @mock-accel/sysfs-client alone.
export { startDriver, resolvePaths, DEFAULT_DRIVER_NAME, type DriverOptions, type RunningDriver, type ResolvedPaths } from "./driver.ts";
export { draCommand, DRA_USAGE } from "./dra-command.ts";
export { DeviceInventory, type InventorySnapshot } from "./inventory.ts";
export { buildSlices, sliceName, MAX_DEVICES_PER_SLICE, type PoolSpec } from "./slices.ts";
export { SlicePublisher, type SlicePublisherOptions, type PublishResult } from "./slice-publisher.ts";
export { ClaimPreparer, STATUS_ALLOCATED, type ClaimPreparerOptions } from "./prepare.ts";
export { ApiClaimSource, type ClaimSource, type AllocatedResult } from "./claims.ts";
export { claimUid, isClaimUid, type ClaimUid } from "./claim-uid.ts";
export { Checkpoint, type CheckpointData, type CheckpointClaim, type CheckpointDevice } from "./checkpoint.ts";
export { buildCdiSpec, cdiDeviceId, cdiKind, cdiSpecPath, minimumCdiVersion, type CdiSpec, type CdiDeviceInfo } from "./cdi.ts";
export { startKubeletPlugin, type KubeletPlugin, type KubeletPluginOptions, type DraHandler } from "./kubelet-plugin.ts";
export { kubeletProtos, PROTO_DIR, DRA_PLUGIN_TYPE, DRA_SERVICE_VERSIONS } from "./proto.ts";
export { consoleLogger, silentLogger, MemoryLogger, type Logger } from "./logger.ts";
export {
  examplePods, exampleObjects, parseExampleLog, reportScript, EXAMPLE_PODS_DIR, FIT_TOGETHER, LOG_PREFIX, POD_CLAIM, type ExamplePod, type ExampleLog,
} from "./example-pods/generate-pods.ts";
