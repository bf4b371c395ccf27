export { findKubernetes, installCommand, INSTALL_SCRIPT, pinnedVersions, requireKubernetes, type Component, type KubernetesBinaries, type PinnedVersions } from "./binaries.ts";
export { startControlPlane, type ControlPlane, type ControlPlaneOptions } from "./control-plane.ts";
export { API_SERVER_KUBELET_CLIENT, type CertPair, type ClientIdentity, type Pki } from "./pki.ts";
export { BOOTSTRAP_GROUP, bootstrapKubeconfig, caCertHash, checkNodeJoin, createNodeJoin, revokeNodeJoin, TOKEN_NAMESPACE, type NodeJoinCredentials } from "./node-bootstrap.ts";
