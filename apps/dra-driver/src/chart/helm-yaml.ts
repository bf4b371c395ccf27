// Kubernetes objects → Helm template text. The objects are plain data with two kinds of
// placeholder in them, both unique tokens that YAML prints as plain words:
//   - value(expr): stands for a Go-template expression. Where it is a whole YAML scalar it
//     becomes `{{ expr | quote }}` (a string whatever the value looks like); inside a longer
//     string (a CEL expression, a path, a Dockerfile) it becomes `{{ expr }}`.
//   - block(render): used as a mapping key (with a null value); its line is replaced by the
//     lines render(indent) returns, for `{{- with .Values.x }}` sections and `toYaml` blocks.
// The YAML itself is printed by the yaml library; only these tokens are replaced in its output.
import { stringify } from "yaml";

const TOKEN = /__HELM(\d+)__/g;
const BLOCK_LINE = /^( *)__HELM(\d+)__: null$/;

type Entry = { kind: "value"; expr: string } | { kind: "block"; render: (indent: number) => string[] };

export class HelmYaml {
  private readonly entries: Entry[] = [];

  /** A placeholder for `{{ expr }}`. */
  value(expr: string): string {
    this.entries.push({ kind: "value", expr });
    return `__HELM${this.entries.length - 1}__`;
  }

  /** A mapping key whose line becomes render(indent of that key)'s lines. */
  block(render: (indent: number) => string[]): string {
    this.entries.push({ kind: "block", render });
    return `__HELM${this.entries.length - 1}__`;
  }

  /** `key:` followed by `toYaml` of `path` when `path` is not empty (`{{- with }}`). */
  withSection(key: string, path: string): string {
    return this.block((n) => [`{{- with ${path} }}`, `${key}:`, `  {{- toYaml . | nindent ${n + 2} }}`, "{{- end }}"]);
  }

  /** `key:` followed by the lines of a named template (labels). */
  includeSection(key: string, template: string): string {
    return this.block((n) => [`${key}:`, `  {{- include "${template}" . | nindent ${n + 2} }}`]);
  }

  /** YAML text of `data` (an object or a list) with every placeholder replaced. `baseIndent`:
   *  the column the text will be moved to (blocks' `nindent` counts from the file's margin). */
  render(data: unknown, baseIndent = 0): string {
    const text = stringify(data, { lineWidth: 0, aliasDuplicateObjects: false });
    const out: string[] = [];
    for (const line of text.replace(/\n$/, "").split("\n")) {
      const block = BLOCK_LINE.exec(line);
      if (block) {
        const entry = this.entry(Number(block[2]));
        if (entry.kind !== "block") throw new Error(`placeholder ${block[2]} is a value, used as a key`);
        for (const l of entry.render(baseIndent + block[1]!.length)) out.push(`${block[1]}${l}`);
        continue;
      }
      if (/^ *- __HELM\d+__: null$/.test(line)) throw new Error(`a block cannot open a list item: ${line}`);
      out.push(this.replaceValues(line));
    }
    return `${out.join("\n")}\n`;
  }

  private replaceValues(line: string): string {
    // A token that is a whole scalar: `key: TOKEN` or `- TOKEN`.
    const whole = /^( *(?:- )*(?:[^\s:][^:]*: )?(?:- )?)__HELM(\d+)__$/.exec(line);
    if (whole) return `${whole[1]}{{ ${this.valueExpr(Number(whole[2]))} | quote }}`;
    return line.replace(TOKEN, (_, n: string) => `{{ ${this.valueExpr(Number(n))} }}`);
  }

  private valueExpr(n: number): string {
    const entry = this.entry(n);
    if (entry.kind !== "value") throw new Error(`placeholder ${n} is a block, used as a value`);
    return entry.expr;
  }

  private entry(n: number): Entry {
    const entry = this.entries[n];
    if (!entry) throw new Error(`unknown placeholder ${n}`);
    return entry;
  }
}
