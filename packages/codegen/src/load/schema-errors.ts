// TypeBox errors -> SpecErrors at the YAML node each one is about.
import { ValueErrorType, type ValueError } from "@sinclair/typebox/errors";
import { Value } from "@sinclair/typebox/value";
import type { TSchema } from "@sinclair/typebox";
import type { SpecError } from "./spec-error.ts";
import { pointerToPath } from "./spec-path.ts";
import type { YamlSource } from "@mock-accel/yaml-source";

export interface SchemaCheck {
  errors: SpecError[];
  /** True when every error is an unknown key: the rest of the spec is well-formed, so semantic checks can still run. */
  onlyUnknownKeys: boolean;
}

export function checkSchema(schema: TSchema, value: unknown, src: YamlSource): SchemaCheck {
  // Check is several times cheaper than walking Errors; most specs are valid.
  if (Value.Check(schema, value)) return { errors: [], onlyUnknownKeys: false };
  const errors: SpecError[] = [];
  let onlyUnknownKeys = true;
  const missing = new Set<string>();
  for (const e of flatten([...Value.Errors(schema, value)])) {
    // A missing property is also reported as "Expected integer" etc. at the same path; once is enough.
    if (missing.has(e.path)) continue;
    const path = pointerToPath(e.path);
    if (e.type === ValueErrorType.ObjectAdditionalProperties) {
      errors.push(src.error(path, `unknown key "${String(path[path.length - 1])}"${knownKeysHint(e)}`, "key"));
      continue;
    }
    onlyUnknownKeys = false;
    if (e.type === ValueErrorType.ObjectRequiredProperty) {
      missing.add(e.path);
      errors.push(src.error(path, `missing required key "${String(path[path.length - 1])}"`));
      continue;
    }
    errors.push(src.error(path, describe(e)));
  }
  return { errors, onlyUnknownKeys: errors.length > 0 && onlyUnknownKeys };
}

// A union says only "Expected union value"; the useful errors are those of the alternative
// the author most likely meant: the one whose errors are fewest and not about the value's own type.
function flatten(errors: ValueError[]): ValueError[] {
  const out: ValueError[] = [];
  for (const e of errors) {
    if (e.type !== ValueErrorType.Union || literalChoices(e.schema) !== null || e.errors.length === 0) {
      out.push(e);
      continue;
    }
    const variants = e.errors.map((it) => [...it]);
    const deeper = variants.filter((v) => v.length > 0 && v.every((x) => x.path !== e.path));
    const pool = deeper.length > 0 ? deeper : variants;
    const best = pool.reduce((a, b) => (b.length < a.length ? b : a));
    if (best.length === 0 || deeper.length === 0) out.push(e);
    else out.push(...flatten(best));
  }
  return out;
}

function describe(e: ValueError): string {
  // The one YAML trap the spec has: an unquoted 0644 is the decimal number 644 in YAML 1.2.
  if (e.path.endsWith("/mode") && typeof e.value === "number")
    return `mode must be a quoted octal string such as "0644"; YAML reads the unquoted ${String(e.value).padStart(4, "0")} as the decimal number ${e.value}`;
  const choices = literalChoices(e.schema);
  if (choices) return `expected one of ${choices.join(", ")}; got ${JSON.stringify(e.value)}`;
  if (e.type === ValueErrorType.Union) return `${lower(e.message)}; got ${JSON.stringify(e.value)}`;
  return `${lower(e.message)}; got ${JSON.stringify(e.value)}`;
}

function literalChoices(schema: TSchema): string[] | null {
  const anyOf = (schema as { anyOf?: TSchema[] }).anyOf;
  const one = (schema as { const?: unknown }).const;
  if (one !== undefined) return [JSON.stringify(one)];
  if (!anyOf || !anyOf.every((s) => (s as { const?: unknown }).const !== undefined)) return null;
  return anyOf.map((s) => JSON.stringify((s as { const?: unknown }).const));
}

function knownKeysHint(e: ValueError): string {
  // e.schema is the object schema the unknown key was found in.
  const props = (e.schema as { properties?: Record<string, unknown> }).properties;
  return props ? ` (expected one of: ${Object.keys(props).join(", ")})` : "";
}

const lower = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
