// @mock-accel/codegen: spec loading, the device model, and generation.
export { loadSpecFile, loadSpecText, formatSpecError, type LoadResult, type SpecError } from "./load/load-spec.ts";
export { buildModel } from "./model/build-model.ts";
export type * from "./model/register-model.ts";
export { generate, writeGenerated, checkGenerated, type Drift } from "./generate.ts";
export { runCodegen, USAGE, REPO_ROOT, type CliIO } from "./cli.ts";
export { EMITTERS } from "./emit/index.ts";
export type { Emitter, EmitContext, GeneratedFile } from "./emit/emitter.ts";
