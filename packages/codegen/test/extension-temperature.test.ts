// The README's extension workflow, end to end in a temporary tree: copy the spec, add a
// TEMPERATURE register (RO, u32, millidegrees) and a `temperature` sysfs attribute, run the
// generator (the CLI with --spec/--root), and check every layer carries it with the right
// types: C header macro, C show function in the attribute array, TS register table entry,
// and `temperature: number` in the typed client (checked by tsc, not by reading text).
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { assertAvailable } from "@mock-accel/testkit";
import { runCodegen } from "../src/cli.ts";
import { buildRoundtripHarness, gccReq, HarnessSession, REPO_ROOT, run, tempDir } from "./c/toolchain.ts";
import { copyGoModule, goReq, runGo } from "./go-toolchain.ts";

const TEMPERATURE_OFFSET = 0x040; // the first free word after VF_INDEX (0x03c)

const REGISTER_YAML = `      - name: TEMPERATURE
        offset: 0x040
        size_bytes: 4
        access: RO
        reset: 0
        description: Die temperature in millidegrees Celsius.

`;

const ATTRIBUTE_YAML = `
    - name: temperature
      source: { register: TEMPERATURE }
      format: decimal
      mode: "0444"
      functions: all
      description: Die temperature in millidegrees Celsius.
`;

function extendedSpec(): string {
  const spec = readFileSync(join(REPO_ROOT, "spec/registers.yaml"), "utf8");
  const anchor = "      - name: PASSPHRASE_CMD\n";
  if (!spec.includes(anchor)) throw new Error("spec/registers.yaml changed shape: no PASSPHRASE_CMD register to insert before");
  return spec.replace(anchor, REGISTER_YAML + anchor).replace(/\n*$/, "\n") + ATTRIBUTE_YAML;
}

describe("extension guide: adding a temperature register and attribute", () => {
  let root = "";
  const errors: string[] = [];
  let status = -1;

  beforeAll(async () => {
    root = tempDir("extension");
    mkdirSync(join(root, "spec"));
    writeFileSync(join(root, "spec/registers.yaml"), extendedSpec());
    // The typed client imports @sinclair/typebox; let the temporary tree resolve it.
    symlinkSync(join(REPO_ROOT, "node_modules"), join(root, "node_modules"));
    status = await runCodegen(["--spec", join(root, "spec/registers.yaml"), "--root", root, "--quiet"], {
      out: () => {},
      err: (l) => errors.push(l),
    });
  });
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const read = (path: string): string => readFileSync(join(root, path), "utf8");

  test("the generator accepts the extended spec", () => {
    expect({ status, errors }).toEqual({ status: 0, errors: [] });
  });

  test("the C header gets the offset and size macros", () => {
    const h = read("packages/kernel-driver/include/mock_accel_regs.h");
    expect(h).toMatch(/^#define MOCK_ACCEL_TEMPERATURE_OFFSET\s+0x040U$/m);
    expect(h).toMatch(/^#define MOCK_ACCEL_TEMPERATURE_SIZE\s+4U$/m);
  });

  test("the sysfs code gets a show function, a read-only attribute and an array entry", () => {
    const c = read("packages/kernel-driver/src/mock_accel_sysfs.c");
    expect(c).toMatch(/static ssize_t mock_accel_sysfs_temperature_show\(/);
    expect(c).toMatch(/ioread32\(bar0 \+ MOCK_ACCEL_TEMPERATURE_OFFSET\)/);
    expect(c).toMatch(/__ATTR\(temperature, 0444,\s+mock_accel_sysfs_temperature_show,\s+NULL\)/);
    expect(c).not.toMatch(/mock_accel_sysfs_temperature_store/);
    const attrs = /static struct attribute \*mock_accel_attrs\[\] = \{([^}]*)\}/.exec(c)?.[1] ?? "";
    expect(attrs).toContain("&mock_accel_dev_attr_temperature.attr,");
  });

  test("the TS register table has TEMPERATURE at its offset, read-only, 4 bytes", async () => {
    const table = (await import(join(root, "packages/server/src/generated/registers.ts"))) as typeof import("../../server/src/generated/registers.ts");
    const reg = (table.REG as Record<string, (typeof table.REGISTERS)[number]>)["TEMPERATURE"];
    expect(reg).toMatchObject({ name: "TEMPERATURE", offsetBytes: TEMPERATURE_OFFSET, sizeBytes: 4, access: "RO", resetValue: 0n });
    expect(table.REGISTERS.map((r) => r.name)).toContain("TEMPERATURE");
  });

  test("the typed client types temperature as number (tsc --noEmit)", () => {
    writeFileSync(
      join(root, "check.ts"),
      [
        'import { ATTRIBUTES, type AttributeTypes, type ReadableAttributeName } from "./packages/sysfs-client/src/generated/attributes.ts";',
        "type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;",
        'export const isNumber: Equal<AttributeTypes["temperature"], number> = true;',
        'export const readable: ReadableAttributeName = "temperature";',
        'export const parsed: number | undefined = ATTRIBUTES.temperature.parse("42500\\n");',
        "// @ts-expect-error a string is not a temperature",
        'export const wrong: AttributeTypes["temperature"] = "hot";',
        "",
      ].join("\n"),
    );
    writeFileSync(
      join(root, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "ESNext",
          moduleResolution: "Bundler",
          lib: ["ES2023"],
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          allowImportingTsExtensions: true,
          types: [],
        },
        files: ["check.ts"],
      }),
    );
    const r = run(join(REPO_ROOT, "node_modules/.bin/tsc"), ["-p", join(root, "tsconfig.json")], { cwd: root });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  test.skipIf(goReq.skip)("the Go client gets Temperature() (uint32, error), and the module still vets", () => {
    assertAvailable(goReq);
    const mod = join(root, "clients/go");
    copyGoModule(mod);
    writeFileSync(
      join(mod, "mockaccel/temperature_test.go"),
      ["package mockaccel", "", "// Compiles only if the accessor exists with this type.", "var _ func() (uint32, error) = (&Device{}).Temperature", ""].join("\n"),
    );
    const r = runGo(["vet", "./..."], mod);
    expect(r.status, r.output).toBe(0);
  });

  test.skipIf(gccReq.skip)("the generated C shows a temperature the client parses back", async () => {
    assertAvailable(gccReq);
    const client = (await import(join(root, "packages/sysfs-client/src/generated/attributes.ts"))) as {
      ATTRIBUTES: Record<string, { parse(t: string): unknown; format(v: unknown): string }>;
    };
    const dir = tempDir("extension-c");
    try {
      const session = new HarnessSession(buildRoundtripHarness(join(root, "packages/kernel-driver"), dir));
      session.set(TEMPERATURE_OFFSET, new Uint8Array([0x04, 0xa6, 0x00, 0x00])); // 42500 little-endian
      const shown = session.show("temperature");
      session.run();
      expect(shown.result!.text).toBe("42500\n");
      expect(client.ATTRIBUTES["temperature"]!.parse(shown.result!.text)).toBe(42500);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
