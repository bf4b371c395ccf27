// YAML parsing that keeps positions: every problem in a user's file is reported as
// file:line:column plus the field path, the way compilers do.
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml";

export interface SourceError {
  file: string;
  line: number;
  column: number;
  /** Dotted path, e.g. "vms[0].numa_nodes[1].pfs[0].memory". */
  path: string;
  message: string;
}

export function formatSourceError(e: SourceError): string {
  return `${e.file}:${e.line}:${e.column} ${e.path || "(document)"}: ${e.message}`;
}

export class YamlSource {
  readonly doc: Document;
  private readonly lines = new LineCounter();
  readonly syntaxErrors: SourceError[];

  constructor(
    readonly file: string,
    text: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false });
    this.syntaxErrors = this.doc.errors.map((e) => ({ ...this.position(e.pos[0]), file, path: "", message: e.message }));
  }

  /** Path segments from a JSON pointer such as "/vms/0/name". */
  static pointerSegments(pointer: string): (string | number)[] {
    if (pointer === "" || pointer === "/") return [];
    return pointer
      .slice(1)
      .split("/")
      .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
      .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  }

  static dottedPath(segments: readonly (string | number)[]): string {
    return segments.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
  }

  private position(offset: number): { line: number; column: number } {
    const p = this.lines.linePos(offset);
    return { line: p.line, column: p.col };
  }

  /** The closest node that exists along the path (a missing key points at its parent). */
  private nodeAt(segments: readonly (string | number)[], atKey: boolean): Node | null {
    let node: unknown = this.doc.contents;
    for (const [i, seg] of segments.entries()) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === seg);
        if (!pair) break;
        node = (atKey && i === segments.length - 1) || pair.value === null ? pair.key : pair.value;
      } else if (isSeq(node) && typeof seg === "number" && node.items[seg] !== undefined) {
        node = node.items[seg];
      } else break;
    }
    return (node as Node | null) ?? null;
  }

  /** An error at the node the path names; `atKey` points at a map key rather than its value. */
  error(segments: readonly (string | number)[], message: string, atKey = false): SourceError {
    const node = this.nodeAt(segments, atKey);
    const pos = node?.range ? this.position(node.range[0]) : { line: 1, column: 1 };
    return { file: this.file, ...pos, path: YamlSource.dottedPath(segments), message };
  }
}
