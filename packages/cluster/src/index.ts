export { findKubernetes, installCommand, INSTALL_SCRIPT, pinnedVersions, requireKubernetes, type Component, type KubernetesBinaries, type PinnedVersions } from "./binaries.ts";
export { startControlPlane, type ControlPlane, type ControlPlaneOptions } from "./control-plane.ts";
export { API_SERVER_KUBELET_CLIENT, type CertPair, type ClientIdentity, type Pki } from "./pki.ts";
export type { NodeRoutes } from "./node-routes.ts";
export { BOOTSTRAP_GROUP, bootstrapKubeconfig, caCertHash, checkNodeJoin, createNodeJoin, revokeNodeJoin, TOKEN_NAMESPACE, type NodeJoinCredentials } from "./node-bootstrap.ts";
export { devicesPublished, readVmClusterState, startVmCluster, STATE_FILE, waitForSlices, type VmCluster, type VmClusterOptions, type VmClusterState } from "./vm-cluster.ts";
export { CHART_DIR, DRIVER_NAMESPACE, DRIVER_RELEASE, ensureDriverInstalled, HOST_LABEL, HOST_NAME_ENV, hostLabel, kubectlFor, startVmNodes, VM_LABEL, type Kubectl, type VmNodes, type VmNodesOptions } from "./vm-nodes.ts";
export { DEFAULT_GUEST_NETWORK, guestNetworkFor, KUBELET_PORT, startVmNode, type GuestNetwork, type VmNode, type VmNodeOptions } from "./vm-node.ts";
export { apiServerTargetOf, drainAndDelete, inspectCluster, JOIN_NEEDS, kubeletFor, JOIN_STATE_FILE, joinCluster, leaveAfterCrash, readJoinState, versionAtLeast, type Joined, type JoinOptions, type JoinState, type JoinTarget } from "./join.ts";
