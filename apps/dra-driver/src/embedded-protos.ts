// The .proto files as text, embedded in whatever Bun builds or runs from an entry point that
// imports this module (src/main.ts: the driver image's `bun build --compile` binary has no
// ../proto folder to read). Vite cannot import .proto files, so only Bun entry points import
// this; code under test reads the same files from PROTO_DIR.
import registration from "../proto/pluginregistration/v1/api.proto" with { type: "text" };
import draV1 from "../proto/dra/v1/api.proto" with { type: "text" };
import draV1beta1 from "../proto/dra/v1beta1/api.proto" with { type: "text" };
import type { ProtoTexts } from "./proto.ts";

export const EMBEDDED_PROTOS: ProtoTexts = {
  "pluginregistration/v1/api.proto": registration,
  "dra/v1/api.proto": draV1,
  "dra/v1beta1/api.proto": draV1beta1,
};
