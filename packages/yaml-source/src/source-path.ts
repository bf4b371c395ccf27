// Field paths: segments as a loader walks them, and the dotted/bracket text people read.

export type PathSegment = string | number;
export type SourcePath = readonly PathSegment[];

/** ["bars", 0, "registers", 5, "offset"] -> "bars[0].registers[5].offset" */
export function formatPath(path: SourcePath): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? seg : `.${seg}`;
  }
  return out;
}

/** A JSON pointer as TypeBox reports it ("/bars/0/registers/5/offset") -> segments; numeric parts become indexes. */
export function pointerToPath(pointer: string): PathSegment[] {
  if (pointer === "" || pointer === "/") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((raw) => raw.replaceAll("~1", "/").replaceAll("~0", "~"))
    .map((seg) => (/^(0|[1-9][0-9]*)$/.test(seg) ? Number(seg) : seg));
}
