// Reads spec/registers.yaml into a DeviceModel, or into a list of SpecErrors that each carry
// file:line:column and the field path. Nothing is generated from a spec with errors.
import { readFileSync } from "node:fs";
import { LineCounter, parseDocument } from "yaml";
import { Value } from "@sinclair/typebox/value";
import { SpecSchema, type RawSpec } from "./spec-schema.ts";
import { buildModel } from "../model/build-model.ts";
import type { DeviceModel } from "../model/register-model.ts";

export interface SpecError {
  file: string;
  line: number;
  column: number;
  /** Field path in the spec, e.g. "bars[0].registers[5].offset". */
  path: string;
  message: string;
}

export type LoadResult = { ok: true; model: DeviceModel; raw: RawSpec } | { ok: false; errors: SpecError[] };

export function formatSpecError(e: SpecError): string {
  return `${e.file}:${e.line}:${e.column} ${e.path}: ${e.message}`;
}

export function loadSpecFile(file: string, displayName = file): LoadResult {
  return loadSpecText(readFileSync(file, "utf8"), displayName);
}

// TODO(codegen validation): semantic checks, positions for every schema error.
export function loadSpecText(text: string, file: string): LoadResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { file, line: pos.line, column: pos.col, path: "", message: e.message };
      }),
    };
  }
  const raw: unknown = doc.toJS();
  if (!Value.Check(SpecSchema, raw)) {
    return {
      ok: false,
      errors: [...Value.Errors(SpecSchema, raw)].map((e) => ({ file, line: 1, column: 1, path: e.path, message: e.message })),
    };
  }
  return { ok: true, model: buildModel(raw), raw };
}
