// Generated from apps/dra-driver/proto/{pluginregistration/v1/api.proto,dra/v1/api.proto,dra/v1beta1/api.proto} by `bun run proto-types`
// (@grpc/proto-loader's proto-loader-gen-types, options in apps/dra-driver/src/proto-types/generate.ts).
// Do not edit: change the .proto files and run `bun run proto-types`.
// Original file: dra/v1/api.proto

import type { Device as _k8s_io_kubelet_pkg_apis_dra_v1_Device, Device__Output as _k8s_io_kubelet_pkg_apis_dra_v1_Device__Output } from '../../../../../../../k8s/io/kubelet/pkg/apis/dra/v1/Device.ts';

export interface NodePrepareResourceResponse {
  'devices'?: (_k8s_io_kubelet_pkg_apis_dra_v1_Device)[];
  'error'?: (string);
}

export interface NodePrepareResourceResponse__Output {
  'devices': (_k8s_io_kubelet_pkg_apis_dra_v1_Device__Output)[];
  'error': (string);
}
