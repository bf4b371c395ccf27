// The kubelet's gRPC APIs, parsed from the .proto files in ../proto (written from the published
// kubelet definitions; their field numbers are the wire contract). The text is read from that
// folder, or handed over by an entry point that embeds it (src/embedded-protos.ts: a
// `bun build --compile` binary carries no ../proto). The message types are generated from the
// same files (src/generated/kubelet-proto, `bun run proto-types`) as @grpc/proto-loader hands
// messages over: camelCase field names, proto3 defaults filled in (the `__Output` types).
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import protobuf from "protobufjs";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import type { PluginInfo__Output } from "./generated/kubelet-proto/pluginregistration/PluginInfo.ts";
import type { RegistrationStatus__Output } from "./generated/kubelet-proto/pluginregistration/RegistrationStatus.ts";
import type { Claim__Output } from "./generated/kubelet-proto/k8s/io/kubelet/pkg/apis/dra/v1/Claim.ts";
import type { Device__Output } from "./generated/kubelet-proto/k8s/io/kubelet/pkg/apis/dra/v1/Device.ts";
import type { NodePrepareResourcesRequest__Output } from "./generated/kubelet-proto/k8s/io/kubelet/pkg/apis/dra/v1/NodePrepareResourcesRequest.ts";
import type { NodePrepareResourceResponse__Output } from "./generated/kubelet-proto/k8s/io/kubelet/pkg/apis/dra/v1/NodePrepareResourceResponse.ts";
import type { NodePrepareResourcesResponse__Output } from "./generated/kubelet-proto/k8s/io/kubelet/pkg/apis/dra/v1/NodePrepareResourcesResponse.ts";
import type { NodeUnprepareResourcesRequest__Output } from "./generated/kubelet-proto/k8s/io/kubelet/pkg/apis/dra/v1/NodeUnprepareResourcesRequest.ts";
import type { NodeUnprepareResourceResponse__Output } from "./generated/kubelet-proto/k8s/io/kubelet/pkg/apis/dra/v1/NodeUnprepareResourceResponse.ts";
import type { NodeUnprepareResourcesResponse__Output } from "./generated/kubelet-proto/k8s/io/kubelet/pkg/apis/dra/v1/NodeUnprepareResourcesResponse.ts";
import type { ProtoGrpcType } from "./generated/kubelet-proto/api.ts";
import type { RegistrationHandlers } from "./generated/kubelet-proto/pluginregistration/Registration.ts";
import type { DRAPluginHandlers as DraV1Handlers } from "./generated/kubelet-proto/k8s/io/kubelet/pkg/apis/dra/v1/DRAPlugin.ts";
import type { DRAPluginHandlers as DraV1beta1Handlers } from "./generated/kubelet-proto/k8s/io/kubelet/pkg/apis/dra/v1beta1/DRAPlugin.ts";
import type { MessageTypeDefinition } from "@grpc/proto-loader";

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

export type PluginInfo = PluginInfo__Output;
export type RegistrationStatus = RegistrationStatus__Output;

// One handler serves both DRA versions, typed with v1's messages; SameMessages below stops the
// build if v1beta1's ever part from them.
export type Claim = Claim__Output;
export type PreparedDevice = Device__Output;
export type NodePrepareResourcesRequest = NodePrepareResourcesRequest__Output;
export type NodePrepareResourceResponse = NodePrepareResourceResponse__Output;
export type NodePrepareResourcesResponse = NodePrepareResourcesResponse__Output;
export type NodeUnprepareResourcesRequest = NodeUnprepareResourcesRequest__Output;
export type NodeUnprepareResourceResponse = NodeUnprepareResourceResponse__Output;
export type NodeUnprepareResourcesResponse = NodeUnprepareResourcesResponse__Output;

/** What a server implementation of each service must provide: method names and message types from the protos. */
export type { RegistrationHandlers, DraV1Handlers, DraV1beta1Handlers };

/** Each message of a proto package as [what is sent, what is received]. */
type Messages<P> = {
  [K in keyof P as P[K] extends MessageTypeDefinition<object, object> ? K : never]: P[K] extends MessageTypeDefinition<infer In, infer Out> ? [In, Out] : never;
};
/** true when A and B are the same type (not merely assignable one way). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
type Dra = ProtoGrpcType["k8s"]["io"]["kubelet"]["pkg"]["apis"]["dra"];
// A compile error here means dra/v1beta1/api.proto's messages differ from dra/v1's.
const SAME_MESSAGES: Same<Messages<Dra["v1"]>, Messages<Dra["v1beta1"]>> = true;
void SAME_MESSAGES;

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
