// Generated from apps/dra-driver/proto/{pluginregistration/v1/api.proto,dra/v1/api.proto,dra/v1beta1/api.proto} by `bun run proto-types`
// (@grpc/proto-loader's proto-loader-gen-types, options in apps/dra-driver/src/proto-types/generate.ts).
// Do not edit: change the .proto files and run `bun run proto-types`.
// Original file: dra/v1/api.proto


export interface Claim {
  'namespace'?: (string);
  'uid'?: (string);
  'name'?: (string);
}

export interface Claim__Output {
  'namespace': (string);
  'uid': (string);
  'name': (string);
}
