// The contract every generator fulfils: model in, files out. Emitters do no I/O; only
// generate.ts writes, so a spec with errors writes nothing and --check can diff in memory.
import type { DeviceModel } from "../model/register-model.ts";

export interface GeneratedFile {
  /** Repo-relative path, forward slashes, e.g. "packages/server/src/generated/registers.ts". */
  path: string;
  content: string;
}

export interface EmitContext {
  /** Repo-relative spec path for banners, e.g. "spec/registers.yaml". */
  specPath: string;
}

export type Emitter = (model: DeviceModel, ctx: EmitContext) => GeneratedFile[];
