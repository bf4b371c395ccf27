// The kubelet's gRPC APIs, loaded at run time from the .proto files in ../proto (written from
// the published kubelet definitions; their field numbers are the wire contract). The message
// interfaces below mirror those files as @grpc/proto-loader hands them over: camelCase field
// names, proto3 defaults filled in.
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

export const PROTO_DIR = fileURLToPath(new URL("../proto", import.meta.url));

/** `PluginInfo.type` for DRA drivers (kubelet: registerapi.DRAPlugin). */
export const DRA_PLUGIN_TYPE = "DRAPlugin";
/** The DRA API versions this plugin serves, as the kubelet expects them in `supported_versions`. */
export const DRA_SERVICE_VERSIONS = ["v1.DRAPlugin", "v1beta1.DRAPlugin"] as const;
export type DraApiVersion = "v1" | "v1beta1";

export interface PluginInfo { type: string; name: string; endpoint: string; supportedVersions: string[] }
export interface RegistrationStatus { pluginRegistered: boolean; error: string }

export interface Claim { namespace: string; uid: string; name: string }
export interface PreparedDevice { requestNames: string[]; poolName: string; deviceName: string; cdiDeviceIds: string[] }
export interface NodePrepareResourcesRequest { claims: Claim[] }
export interface NodePrepareResourceResponse { devices: PreparedDevice[]; error: string }
export interface NodePrepareResourcesResponse { claims: Record<string, NodePrepareResourceResponse> }
export interface NodeUnprepareResourcesRequest { claims: Claim[] }
export interface NodeUnprepareResourceResponse { error: string }
export interface NodeUnprepareResourcesResponse { claims: Record<string, NodeUnprepareResourceResponse> }

export interface KubeletProtos {
  registration: grpc.ServiceClientConstructor;
  dra: Record<DraApiVersion, grpc.ServiceClientConstructor>;
}

let cached: KubeletProtos | undefined;

/** Loads the three .proto files once per process. */
export function kubeletProtos(): KubeletProtos {
  if (cached) return cached;
  const files = ["pluginregistration/v1/api.proto", "dra/v1/api.proto", "dra/v1beta1/api.proto"].map((f) => join(PROTO_DIR, f));
  // defaults: true so absent proto3 fields arrive as "" / [] rather than undefined, as in Go.
  const definition = protoLoader.loadSync(files, { keepCase: false, defaults: true, arrays: true, objects: true, includeDirs: [PROTO_DIR] });
  const root = grpc.loadPackageDefinition(definition);
  const at = (path: string): grpc.ServiceClientConstructor => {
    let node: unknown = root;
    for (const part of path.split(".")) node = (node as Record<string, unknown> | undefined)?.[part];
    if (typeof node !== "function") throw new Error(`${PROTO_DIR}: service ${path} not found in the loaded protos`);
    return node as grpc.ServiceClientConstructor;
  };
  cached = {
    registration: at("pluginregistration.Registration"),
    dra: { v1: at("k8s.io.kubelet.pkg.apis.dra.v1.DRAPlugin"), v1beta1: at("k8s.io.kubelet.pkg.apis.dra.v1beta1.DRAPlugin") },
  };
  return cached;
}
