// One problem found in a spec, at a place a person can jump to (the shared SourceError of
// @mock-accel/yaml-source, under the spec's names).
import { formatSourceError, type SourceError } from "@mock-accel/yaml-source";

export type SpecError = SourceError;

/** `spec/registers.yaml:42:7 bars[0].registers[5].offset: offset 0x2e overlaps STATUS (0x2c..0x2f)` */
export const formatSpecError: (e: SpecError) => string = formatSourceError;

/** Positions first, so a reader walks the file top to bottom; the rest keeps output stable. */
export function sortSpecErrors(errors: SpecError[]): SpecError[] {
  const seen = new Set<string>();
  const unique = errors.filter((e) => {
    const key = formatSpecError(e);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.sort(
    (a, b) => a.line - b.line || a.column - b.column || cmp(a.path, b.path) || cmp(a.message, b.message),
  );
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
