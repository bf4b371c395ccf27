export { findKubernetes, installCommand, INSTALL_SCRIPT, pinnedVersions, requireKubernetes, type Component, type KubernetesBinaries, type PinnedVersions } from "./binaries.ts";
export { startControlPlane, type ControlPlane, type ControlPlaneOptions } from "./control-plane.ts";
export type { CertPair, ClientIdentity, Pki } from "./pki.ts";
export type { NodeRoutes } from "./node-routes.ts";
