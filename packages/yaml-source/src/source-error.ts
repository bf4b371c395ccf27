// One problem found in a file, at a place a person can jump to.

export interface SourceError {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  /** Field path, e.g. "bars[0].registers[5].offset"; "" for the document as a whole. */
  path: string;
  message: string;
}

/** `spec/registers.yaml:42:7 bars[0].registers[5].offset: offset 0x2e overlaps STATUS (0x2c..0x2f)` */
export function formatSourceError(e: SourceError): string {
  return `${e.file}:${e.line}:${e.column} ${e.path === "" ? "(document)" : e.path}: ${e.message}`;
}
