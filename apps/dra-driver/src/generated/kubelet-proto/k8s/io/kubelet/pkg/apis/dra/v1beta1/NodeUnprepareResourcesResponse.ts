// Generated from apps/dra-driver/proto/{pluginregistration/v1/api.proto,dra/v1/api.proto,dra/v1beta1/api.proto} by `bun run proto-types`
// (@grpc/proto-loader's proto-loader-gen-types, options in apps/dra-driver/src/proto-types/generate.ts).
// Do not edit: change the .proto files and run `bun run proto-types`.
// Original file: dra/v1beta1/api.proto

import type { NodeUnprepareResourceResponse as _k8s_io_kubelet_pkg_apis_dra_v1beta1_NodeUnprepareResourceResponse, NodeUnprepareResourceResponse__Output as _k8s_io_kubelet_pkg_apis_dra_v1beta1_NodeUnprepareResourceResponse__Output } from '../../../../../../../k8s/io/kubelet/pkg/apis/dra/v1beta1/NodeUnprepareResourceResponse.ts';

export interface NodeUnprepareResourcesResponse {
  'claims'?: ({[key: string]: _k8s_io_kubelet_pkg_apis_dra_v1beta1_NodeUnprepareResourceResponse});
}

export interface NodeUnprepareResourcesResponse__Output {
  'claims': ({[key: string]: _k8s_io_kubelet_pkg_apis_dra_v1beta1_NodeUnprepareResourceResponse__Output});
}
