// The YAML is parsed with every integer as a bigint; this turns them into numbers and reports
// the ones that are not safe integers (beyond ±2^53 a number silently stops meaning what was written).
import type { SpecPath } from "./spec-path.ts";

export interface UnsafeInteger {
  path: SpecPath;
  value: bigint;
}

export function toSafeNumbers(value: unknown, path: SpecPath = [], unsafe: UnsafeInteger[] = []): unknown {
  if (typeof value === "bigint") {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      unsafe.push({ path, value });
      return 0;
    }
    return Number(value);
  }
  if (Array.isArray(value)) return value.map((v, i) => toSafeNumbers(v, [...path, i], unsafe));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toSafeNumbers(v, [...path, k], unsafe);
    return out;
  }
  return value;
}
