// The parse/format helpers the generated client carries. Only the helpers a spec's formats
// use are emitted; each names the helpers it calls, so dependencies come along.
import { StructureKind, type FunctionDeclarationStructure } from "ts-morph";

interface Helper {
  deps: string[];
  node: FunctionDeclarationStructure;
}

const fn = (
  name: string,
  params: [string, string, string?][],
  returnType: string,
  body: string[],
  doc?: string,
  typeParameters?: string[],
): FunctionDeclarationStructure => ({
  kind: StructureKind.Function,
  name,
  parameters: params.map(([n, t, init]) => ({ name: n, type: t, ...(init ? { initializer: init } : {}) })),
  returnType,
  statements: body,
  ...(typeParameters ? { typeParameters } : {}),
  ...(doc ? { docs: [doc] } : {}),
});

const HELPERS: Record<string, Helper> = {
  lineBody: {
    deps: [],
    node: fn("lineBody", [["text", "string"]], "string", ['return text.endsWith("\\n") ? text.slice(0, -1) : text;'],
      "Every show ends with one newline; it is optional here, anything else is part of the value."),
  },
  parseUnsigned: {
    deps: ["lineBody"],
    node: fn("parseUnsigned", [["text", "string"], ["max", "bigint"]], "bigint | undefined", [
      "const body = lineBody(text);",
      "if (!/^(0|[1-9][0-9]*)$/.test(body)) return undefined;",
      "const value = BigInt(body);",
      "return value <= max ? value : undefined;",
    ], "Decimal as the kernel prints %u/%llu: digits only, no sign, no leading zeros, at most `max`."),
  },
  parseU32: {
    deps: ["parseUnsigned"],
    node: fn("parseU32", [["text", "string"], ["max", "number", "0xffffffff"]], "number | undefined", [
      "const value = parseUnsigned(text, BigInt(max));",
      "return value === undefined ? undefined : Number(value);",
    ]),
  },
  parseU64: {
    deps: ["parseUnsigned"],
    node: fn("parseU64", [["text", "string"], ["max", "bigint", "0xffffffffffffffffn"]], "bigint | undefined", ["return parseUnsigned(text, max);"]),
  },
  parseS32: {
    deps: ["lineBody"],
    node: fn("parseS32", [["text", "string"]], "number | undefined", [
      "const body = lineBody(text);",
      "if (!/^(0|-?[1-9][0-9]*)$/.test(body)) return undefined;",
      "const value = Number(body);",
      "return value >= -0x80000000 && value <= 0x7fffffff ? value : undefined;",
    ], "Decimal as the kernel prints %d."),
  },
  formatDecimal: {
    deps: [],
    node: fn("formatDecimal", [["value", "number | bigint"]], "string", ["return `${value}\\n`;"]),
  },
  parseHex32: {
    deps: ["lineBody"],
    node: fn("parseHex32", [["text", "string"], ["max", "number", "0xffffffff"]], "number | undefined", [
      "const body = lineBody(text);",
      "if (!/^0x[0-9a-f]{8}$/.test(body)) return undefined;",
      "const value = Number.parseInt(body.slice(2), 16);",
      "return value <= max ? value : undefined;",
    ], "0x%08x: exactly eight lower-case hex digits."),
  },
  formatHex32: {
    deps: [],
    node: fn("formatHex32", [["value", "number"]], "string", ['return `0x${(value >>> 0).toString(16).padStart(8, "0")}\\n`;']),
  },
  parseUuid: {
    deps: ["lineBody"],
    node: fn("parseUuid", [["text", "string"]], "string | undefined", [
      "const body = lineBody(text);",
      "return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(body) ? body : undefined;",
    ], "%pUb: canonical lower-case 8-4-4-4-12."),
  },
  formatUuid: {
    deps: [],
    node: fn("formatUuid", [["value", "string"]], "string", ["return `${value.toLowerCase()}\\n`;"]),
  },
  parseSemver: {
    deps: ["lineBody"],
    node: fn("parseSemver", [["text", "string"], ["max", "SemVer"]], "SemVer | undefined", [
      "const m = /^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)$/.exec(lineBody(text));",
      "if (!m) return undefined;",
      "const value: SemVer = { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };",
      "return value.major <= max.major && value.minor <= max.minor && value.patch <= max.patch ? value : undefined;",
    ], "%u.%u.%u, each part within its field's width."),
  },
  formatSemver: {
    deps: [],
    node: fn("formatSemver", [["value", "SemVer"]], "string", ["return `${value.major}.${value.minor}.${value.patch}\\n`;"]),
  },
  parseChoice: {
    deps: ["lineBody"],
    node: fn("parseChoice", [["text", "string"], ["choices", "readonly T[]"]], "T | undefined", [
      "const body = lineBody(text);",
      "return choices.find((c) => c === body);",
    ], 'An enum\'s lower-case value name; the kernel\'s "unknown" (a value the spec does not list) is undefined.', ["T extends string"]),
  },
  formatChoice: {
    deps: [],
    node: fn("formatChoice", [["value", "string"]], "string", ["return `${value}\\n`;"]),
  },
  parseLine: {
    deps: ["lineBody"],
    node: fn("parseLine", [["text", "string"], ["maxLength", "number"]], "string | undefined", [
      "const body = lineBody(text);",
      'return body.length <= maxLength && !body.includes("\\n") && !body.includes("\\0") ? body : undefined;',
    ], "A string register as stored up to its first NUL: one line, at most the register's size."),
  },
  formatLine: {
    deps: [],
    node: fn("formatLine", [["value", "string"]], "string", ["return `${value}\\n`;"]),
  },
  parseBool: {
    deps: ["lineBody"],
    node: fn("parseBool", [["text", "string"]], "boolean | undefined", [
      "const body = lineBody(text);",
      'return body === "1" ? true : body === "0" ? false : undefined;',
    ]),
  },
  formatBool: {
    deps: [],
    node: fn("formatBool", [["value", "boolean"]], "string", ['return value ? "1\\n" : "0\\n";']),
  },
};

/** The helpers `used` need, in a fixed order (the order of HELPERS), so output is stable. */
export function helperNodes(used: Iterable<string>): FunctionDeclarationStructure[] {
  const need = new Set<string>();
  const add = (name: string) => {
    const h = HELPERS[name];
    if (!h) throw new Error(`unknown client helper ${name}`);
    if (need.has(name)) return;
    need.add(name);
    h.deps.forEach(add);
  };
  for (const n of used) add(n);
  return Object.keys(HELPERS)
    .filter((n) => need.has(n))
    .map((n) => HELPERS[n]!.node);
}
