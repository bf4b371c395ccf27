// Positions people can jump to: the value a path names, its key, the nearest thing that exists
// when the field is missing, and YAML's own errors, in both loaders' terms.
import { describe, expect, it } from "vitest";
import { formatPath, formatSourceError, pointerToPath, YamlSource } from "../src/index.ts";

const TEXT = ["vms:", "  - name: vm0", "    numa_nodes:", "      - node: 0", "        pfs:", "          - uuid: a", "            memory:", ""].join("\n");
const at = (src: YamlSource, path: (string | number)[], anchor?: "value" | "key") => {
  const e = src.error(path, "m", anchor);
  return `${e.line}:${e.column}`;
};

describe("YamlSource", () => {
  const src = new YamlSource("t.yaml", TEXT);

  it("points at the value a path names, or at its key", () => {
    expect(at(src, ["vms", 0, "name"])).toBe("2:11");
    expect(at(src, ["vms", 0, "name"], "key")).toBe("2:5");
    expect(at(src, ["vms", 0, "numa_nodes", 0, "pfs", 0, "uuid"])).toBe("6:19");
  });

  it("a missing field points at the nearest ancestor that exists; an empty value where it would be", () => {
    expect(at(src, ["vms", 0, "numa_nodes", 0, "cpus"])).toBe("4:9");
    expect(at(src, ["vms", 3, "name"])).toBe("2:3");
    // `memory:` with no value: YAML gives it an empty scalar right after the colon.
    expect(at(src, ["vms", 0, "numa_nodes", 0, "pfs", 0, "memory"])).toBe("7:20");
  });

  it("an error carries the file and the path as people read it", () => {
    const e = src.error(["vms", 0, "numa_nodes", 0, "pfs", 0, "uuid"], "uuid 'a' is taken");
    expect(formatSourceError(e)).toBe("t.yaml:6:19 vms[0].numa_nodes[0].pfs[0].uuid: uuid 'a' is taken");
    expect(formatSourceError({ ...e, path: "" })).toBe("t.yaml:6:19 (document): uuid 'a' is taken");
  });

  it("syntax errors, duplicate keys included, at their position, one line each", () => {
    const errors = new YamlSource("d.yaml", "a: 1\nb: [\n").syntaxErrors();
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e.file === "d.yaml" && e.path === "" && !e.message.includes("\n"))).toBe(true);
    const dup = new YamlSource("d.yaml", "a: 1\nb: 2\na: 3\n").syntaxErrors();
    expect(dup.map((e) => `${e.line}:${e.column} ${e.message}`)).toEqual([expect.stringMatching(/^3:1 Map keys must be unique/)]);
    expect(new YamlSource("ok.yaml", TEXT).syntaxErrors()).toEqual([]);
  });

  it("integers beyond 2^53 stay exact with intAsBigInt, and are plain numbers without it", () => {
    const text = "n: 9007199254740993\n";
    expect(new YamlSource("n.yaml", text, { intAsBigInt: true }).doc.toJS()).toEqual({ n: 9007199254740993n });
    expect(typeof (new YamlSource("n.yaml", text).doc.toJS() as { n: unknown }).n).toBe("number");
  });
});

describe("paths", () => {
  it("JSON pointers become segments, numbers become indexes (not '007' or escaped keys)", () => {
    expect(pointerToPath("/vms/0/numa_nodes/12/pfs")).toEqual(["vms", 0, "numa_nodes", 12, "pfs"]);
    expect(pointerToPath("/a~1b/007/~0x")).toEqual(["a/b", "007", "~x"]);
    expect(pointerToPath("")).toEqual([]);
    expect(pointerToPath("/")).toEqual([]);
  });

  it("segments print as people read them", () => {
    expect(formatPath(["bars", 0, "registers", 5, "offset"])).toBe("bars[0].registers[5].offset");
    expect(formatPath([])).toBe("");
  });
});
