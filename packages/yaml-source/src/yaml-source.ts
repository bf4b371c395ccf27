// The parsed YAML document plus what is needed to turn a field path back into file:line:column.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml";
import type { SourceError } from "./source-error.ts";
import { formatPath, type SourcePath } from "./source-path.ts";

/** Where a path points: the value (default), or the key, e.g. for an unknown key. */
export type Anchor = "value" | "key";

export interface YamlSourceOptions {
  /**
   * Integers as bigint, so numbers beyond 2^53 are seen as written rather than already
   * rounded and the loader can refuse them (the spec loader; default false).
   */
  intAsBigInt?: boolean;
}

export class YamlSource {
  readonly doc: Document.Parsed;
  private readonly lines = new LineCounter();

  constructor(
    readonly file: string,
    text: string,
    options: YamlSourceOptions = {},
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, intAsBigInt: options.intAsBigInt ?? false, uniqueKeys: true });
  }

  /** YAML syntax errors (including duplicate keys), each at its position. */
  syntaxErrors(): SourceError[] {
    return this.doc.errors.map((e) => {
      const pos = this.lines.linePos(e.pos[0]);
      return { file: this.file, line: pos.line, column: pos.col, path: "", message: e.message.split("\n")[0] ?? e.message };
    });
  }

  /** An error at the node the path names, or at its nearest existing ancestor when the field is missing. */
  error(path: SourcePath, message: string, anchor: Anchor = "value"): SourceError {
    const offset = this.offsetOf(path, anchor);
    const pos = this.lines.linePos(offset);
    return { file: this.file, line: Math.max(pos.line, 1), column: Math.max(pos.col, 1), path: formatPath(path), message };
  }

  private offsetOf(path: SourcePath, anchor: Anchor): number {
    let node: unknown = this.doc.contents;
    let best = rangeStart(node) ?? 0;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
        if (!pair) return best;
        if (last && anchor === "key") return rangeStart(pair.key) ?? best;
        node = pair.value;
        // `key:` with no value has no value node; the key is the best place to point at.
        best = rangeStart(node) ?? rangeStart(pair.key) ?? best;
      } else if (isSeq(node) && typeof seg === "number") {
        node = node.items[seg];
        if (node === undefined) return best;
        best = rangeStart(node) ?? best;
      } else {
        return best;
      }
    }
    return best;
  }
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}
