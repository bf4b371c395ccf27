// Reads spec/registers.yaml into a DeviceModel, or into the full list of SpecErrors, each with
// file:line:column and the field path. Stages: YAML syntax -> safe integers -> TypeBox schema
// -> semantic checks -> model. Nothing is generated from a spec with errors.
import { readFileSync } from "node:fs";
import { SpecSchema, type RawSpec } from "./spec-schema.ts";
import { buildModel } from "../model/build-model.ts";
import type { DeviceModel } from "../model/register-model.ts";
import { formatSpecError, sortSpecErrors, type SpecError } from "./spec-error.ts";
import { YamlSource } from "@mock-accel/yaml-source";
import { toSafeNumbers, type UnsafeInteger } from "./safe-integers.ts";
import { checkSchema } from "./schema-errors.ts";
import { checkSemantics } from "./semantic-checks.ts";

export { formatSpecError, type SpecError };

export type LoadResult = { ok: true; model: DeviceModel; raw: RawSpec } | { ok: false; errors: SpecError[] };

export function loadSpecFile(file: string, displayName = file): LoadResult {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return { ok: false, errors: [{ file: displayName, line: 1, column: 1, path: "", message: `cannot read spec: ${reason}` }] };
  }
  return loadSpecText(text, displayName);
}

export function loadSpecText(text: string, file: string): LoadResult {
  // intAsBigInt: numbers beyond 2^53 must be seen as written, not already rounded, so the
  // loader can reject them instead of generating a wrong constant.
  const src = new YamlSource(file, text, { intAsBigInt: true });
  const syntax = src.syntaxErrors();
  if (syntax.length > 0) return { ok: false, errors: sortSpecErrors(syntax) };

  const unsafe: UnsafeInteger[] = [];
  const raw = toSafeNumbers(src.doc.toJS({ maxAliasCount: 100 }), [], unsafe);
  const errors: SpecError[] = unsafe.map((u) =>
    src.error(u.path, `${u.value} is not a safe integer (beyond ±2^53 a JavaScript number cannot hold it exactly)`),
  );

  const schema = checkSchema(SpecSchema, raw, src);
  errors.push(...schema.errors);
  // Unknown keys do not change the shape of what is known, so the other checks still run and
  // the author sees every problem in one pass.
  if (schema.errors.length === 0 || schema.onlyUnknownKeys) errors.push(...checkSemantics(raw as RawSpec, src));
  if (errors.length > 0) return { ok: false, errors: sortSpecErrors(errors) };
  return { ok: true, model: buildModel(raw as RawSpec), raw: raw as RawSpec };
}
