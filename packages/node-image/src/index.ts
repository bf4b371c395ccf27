// The guest a Kubernetes node runs in: a root filesystem from Debian's packages (containerd,
// runc, the CNI plugins), the kubelet built from upstream sources, mock_accel.ko, and container
// images built from files (pause, a busybox workload, the DRA driver), imported at boot.
export { IMAGE_REFS, type ImageName } from "./image-refs.ts";
export { nodeImage, type NodeImage, type NodeImageInputs } from "./node-image.ts";
export { FW_CFG_PREFIX, NODE_CONFIG_FILES, NODE_MARKERS, NODE_SERIAL, nodeEnvText, type NodeConfigFile, type NodeEnv } from "./node-files.ts";
export { buildNodeImages, buildNodeImage, IMAGE_NAMES, type BuiltImage, type BuildOptions } from "./images/build.ts";
