export { COMPONENTS, findKubernetes, installCommand, INSTALL_SCRIPT, kubernetesBinDir, pinnedVersions, requireKubernetes, type Component, type KubernetesBinaries, type PinnedVersions } from "./binaries.ts";
export { ComponentProcess } from "./component-process.ts";
export { startControlPlane, type ControlPlane, type ControlPlaneOptions } from "./control-plane.ts";
export { kubeconfigText, writeKubeconfig } from "./kubeconfig.ts";
export { freeLoopbackPort, freeLoopbackPorts } from "./loopback-ports.ts";
export { createPki, type CertPair, type ClientIdentity, type Pki } from "./pki.ts";
