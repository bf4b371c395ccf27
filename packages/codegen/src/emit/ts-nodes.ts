// The small node vocabulary the TypeScript emitters build from the model (literals, and
// ts-morph statement structures), and the one place that turns nodes into text.
import {
  IndentationText,
  NewLineKind,
  Project,
  QuoteKind,
  StructureKind,
  type InterfaceDeclarationStructure,
  type OptionalKind,
  type PropertySignatureStructure,
  type StatementStructures,
  type TypeAliasDeclarationStructure,
} from "ts-morph";

/** An expression: raw code, an object literal or an array literal (inline = on one line). */
export type Lit =
  | { kind: "raw"; text: string }
  | { kind: "object"; entries: LitEntry[]; inline: boolean }
  | { kind: "array"; items: Lit[]; inline: boolean };
export interface LitEntry {
  key: string;
  value: Lit;
  doc?: string;
}

export const raw = (text: string): Lit => ({ kind: "raw", text });
export const str = (s: string): Lit => raw(JSON.stringify(s));
export const num = (n: number): Lit => raw(String(n));
/** 0x-hex, lower-case, for addresses, IDs and masks. */
export const hexNum = (n: number, digits = 1): Lit => raw(`0x${n.toString(16).padStart(digits, "0")}`);
export const big = (n: bigint): Lit => raw(`${n}n`);
export const hexBig = (n: bigint): Lit => raw(`0x${n.toString(16)}n`);
export const bool = (b: boolean): Lit => raw(String(b));
export const nul: Lit = raw("null");
export const obj = (entries: LitEntry[] | Record<string, Lit>, inline = false): Lit => ({
  kind: "object",
  entries: Array.isArray(entries) ? entries : Object.entries(entries).map(([key, value]) => ({ key, value })),
  inline,
});
export const arr = (items: Lit[], inline = false): Lit => ({ kind: "array", items, inline });

/** Object keys that are identifiers stay bare; anything else is quoted. */
const key = (k: string) => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? k : JSON.stringify(k));

/** Renders a literal; nested lines are indented by two spaces per level from `indent`. */
export function renderLit(lit: Lit, indent = ""): string {
  const inner = `${indent}  `;
  switch (lit.kind) {
    case "raw":
      return lit.text;
    case "object":
      if (lit.entries.length === 0) return "{}";
      if (lit.inline) return `{ ${lit.entries.map((e) => `${key(e.key)}: ${renderLit(e.value, indent)}`).join(", ")} }`;
      return `{\n${lit.entries
        .map((e) => `${e.doc ? `${inner}/** ${e.doc.replaceAll("*/", "*\\/")} */\n` : ""}${inner}${key(e.key)}: ${renderLit(e.value, inner)},\n`)
        .join("")}${indent}}`;
    case "array":
      if (lit.items.length === 0) return "[]";
      if (lit.inline) return `[${lit.items.map((i) => renderLit(i, indent)).join(", ")}]`;
      return `[\n${lit.items.map((i) => `${inner}${renderLit(i, inner)},\n`).join("")}${indent}]`;
  }
}

/**
 * `export const NAME: TYPE = <literal>;` as statement text. Literals are rendered here rather
 * than through ts-morph's writer, whose hanging indent for initializers misaligns nested objects.
 */
export function exportConst(name: string, value: Lit, opts: { type?: string; asConst?: boolean; doc?: string } = {}): string {
  const doc = opts.doc ? `/** ${opts.doc} */\n` : "";
  return `${doc}export const ${name}${opts.type ? `: ${opts.type}` : ""} = ${renderLit(value)}${opts.asConst ? " as const" : ""};`;
}

/** `export type Name = "A" | "B";`, one member per line when there are several. */
export function exportUnion(name: string, members: string[], doc?: string): TypeAliasDeclarationStructure {
  return {
    kind: StructureKind.TypeAlias,
    isExported: true,
    name,
    ...(doc ? { docs: [doc] } : {}),
    type: (w) => {
      if (members.length === 0) w.write("never");
      else if (members.length <= 3) w.write(members.join(" | "));
      else members.forEach((m) => w.newLine().write(`| ${m}`));
    },
  };
}

export function exportType(name: string, type: string, doc?: string): TypeAliasDeclarationStructure {
  return { kind: StructureKind.TypeAlias, isExported: true, name, type, ...(doc ? { docs: [doc] } : {}) };
}

export function exportInterface(
  name: string,
  props: { name: string; type: string; readonly?: boolean; doc?: string }[],
  opts: { doc?: string; typeParameters?: string[] } = {},
): InterfaceDeclarationStructure {
  const properties: OptionalKind<PropertySignatureStructure>[] = props.map((p) => ({
    name: p.name,
    type: p.type,
    isReadonly: p.readonly ?? false,
    ...(p.doc ? { docs: [p.doc] } : {}),
  }));
  return {
    kind: StructureKind.Interface,
    isExported: true,
    name,
    properties,
    ...(opts.typeParameters ? { typeParameters: opts.typeParameters } : {}),
    ...(opts.doc ? { docs: [opts.doc] } : {}),
  };
}

export function banner(specPath: string, emitterFile: string): string {
  return [
    `// Generated from ${specPath} by packages/codegen (src/emit/${emitterFile}).`,
    "// Do not edit: change the spec and run `bun run codegen`.",
    "",
  ].join("\n");
}

let project: Project | undefined;

/**
 * Nodes -> text. Structures go through ts-morph; statements already rendered as text (the big
 * literal tables) are swapped for one-line placeholders first and put back afterwards, so
 * ts-morph never re-parses hundreds of kilobytes of table it has nothing to do with. One
 * in-memory project is reused: creating one per file costs more than printing.
 */
export function printStatements(statements: (string | StatementStructures)[]): string {
  project ??= new Project({
    useInMemoryFileSystem: true,
    manipulationSettings: {
      indentationText: IndentationText.TwoSpaces,
      newLineKind: NewLineKind.LineFeed,
      quoteKind: QuoteKind.Double,
      useTrailingCommas: true,
    },
  });
  const texts: string[] = [];
  const placeheld = statements.map((s) => {
    if (typeof s !== "string") return s;
    texts.push(s);
    return `//@@codegen-text-${texts.length - 1}@@`;
  });
  const file = project.createSourceFile("/out.ts", { statements: placeheld }, { overwrite: true });
  const printed = file.getFullText();
  project.removeSourceFile(file);
  const text = printed
    .replace(/^\/\/@@codegen-text-(\d+)@@$/gm, (_, i: string) => texts[Number(i)]!)
    // ts-morph writes "type X = " before a union that starts on the next line.
    .replace(/[ \t]+$/gm, "");
  return text.endsWith("\n") ? text : `${text}\n`;
}
