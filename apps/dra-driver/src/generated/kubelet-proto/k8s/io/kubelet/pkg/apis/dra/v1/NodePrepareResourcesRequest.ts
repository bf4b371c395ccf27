// Generated from apps/dra-driver/proto/{pluginregistration/v1/api.proto,dra/v1/api.proto,dra/v1beta1/api.proto} by `bun run proto-types`
// (@grpc/proto-loader's proto-loader-gen-types, options in apps/dra-driver/src/proto-types/generate.ts).
// Do not edit: change the .proto files and run `bun run proto-types`.
// Original file: dra/v1/api.proto

import type { Claim as _k8s_io_kubelet_pkg_apis_dra_v1_Claim, Claim__Output as _k8s_io_kubelet_pkg_apis_dra_v1_Claim__Output } from '../../../../../../../k8s/io/kubelet/pkg/apis/dra/v1/Claim.ts';

export interface NodePrepareResourcesRequest {
  'claims'?: (_k8s_io_kubelet_pkg_apis_dra_v1_Claim)[];
}

export interface NodePrepareResourcesRequest__Output {
  'claims': (_k8s_io_kubelet_pkg_apis_dra_v1_Claim__Output)[];
}
