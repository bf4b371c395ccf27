// The kubelet's gRPC APIs, parsed from the .proto files in ../proto (written from the published
// kubelet definitions; their field numbers are the wire contract). The text is read from that
// folder, or handed over by an entry point that embeds it (src/embedded-protos.ts: a
// `bun build --compile` binary carries no ../proto). The message interfaces below mirror those
// files as @grpc/proto-loader hands them over: camelCase field names, proto3 defaults filled in.
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import protobuf from "protobufjs";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

export const PROTO_DIR = fileURLToPath(new URL("../proto", import.meta.url));
/** The files under PROTO_DIR the plugin serves, by their path there. */
export const PROTO_FILES = ["pluginregistration/v1/api.proto", "dra/v1/api.proto", "dra/v1beta1/api.proto"] as const;
export type ProtoFile = (typeof PROTO_FILES)[number];
export type ProtoTexts = Record<ProtoFile, string>;

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
let embedded: ProtoTexts | undefined;

/** Parse these texts instead of reading PROTO_DIR (for a binary that embeds them); undefined: read PROTO_DIR again. */
export function useEmbeddedProtos(texts: ProtoTexts | undefined): void {
  embedded = texts;
  cached = undefined;
}

/** Where the protos come from, for messages: the folder, or "embedded". */
function source(file: ProtoFile): string {
  return embedded ? `embedded ${file}` : join(PROTO_DIR, file);
}

/** Parses the three .proto files once per process. */
export function kubeletProtos(): KubeletProtos {
  if (cached) return cached;
  const root = new protobuf.Root();
  for (const file of PROTO_FILES) {
    const text = embedded ? embedded[file] : readFileSync(join(PROTO_DIR, file), "utf8");
    try {
      // keepCase: false gives camelCase field names, as proto-loader's loadSync does.
      protobuf.parse(text, root, { keepCase: false });
    } catch (err) {
      throw new Error(`${source(file)}: ${(err as Error).message}`);
    }
  }
  // defaults: true so absent proto3 fields arrive as "" / [] rather than undefined, as in Go.
  const definition = protoLoader.fromJSON(root.toJSON(), { keepCase: false, defaults: true, arrays: true, objects: true });
  const grpcRoot = grpc.loadPackageDefinition(definition);
  const at = (path: string, file: ProtoFile): grpc.ServiceClientConstructor => {
    let node: unknown = grpcRoot;
    for (const part of path.split(".")) node = (node as Record<string, unknown> | undefined)?.[part];
    if (typeof node !== "function") throw new Error(`${source(file)}: service ${path} not found in the loaded protos`);
    return node as grpc.ServiceClientConstructor;
  };
  cached = {
    registration: at("pluginregistration.Registration", "pluginregistration/v1/api.proto"),
    dra: {
      v1: at("k8s.io.kubelet.pkg.apis.dra.v1.DRAPlugin", "dra/v1/api.proto"),
      v1beta1: at("k8s.io.kubelet.pkg.apis.dra.v1beta1.DRAPlugin", "dra/v1beta1/api.proto"),
    },
  };
  return cached;
}
