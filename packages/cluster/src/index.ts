export { findKubernetes, installCommand, INSTALL_SCRIPT, pinnedVersions, requireKubernetes, type Component, type KubernetesBinaries, type PinnedVersions } from "./binaries.ts";
export { startControlPlane, type ControlPlane, type ControlPlaneOptions } from "./control-plane.ts";
export { API_SERVER_KUBELET_CLIENT, type CertPair, type ClientIdentity, type Pki } from "./pki.ts";
export type { NodeRoutes } from "./node-routes.ts";
export { BOOTSTRAP_GROUP, bootstrapKubeconfig, caCertHash, checkNodeJoin, createNodeJoin, revokeNodeJoin, TOKEN_NAMESPACE, type NodeJoinCredentials } from "./node-bootstrap.ts";
export { CHART_DIR, devicesPublished, DRIVER_NAMESPACE, DRIVER_RELEASE, readVmClusterState, startVmCluster, STATE_FILE, VM_LABEL, type VmCluster, type VmClusterOptions, type VmClusterState } from "./vm-cluster.ts";
export { DEFAULT_GUEST_NETWORK, KUBELET_PORT, startVmNode, type GuestNetwork, type VmNode, type VmNodeOptions } from "./vm-node.ts";
