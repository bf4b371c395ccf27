// The C emitters' contract beyond what the compilers check: deterministic output, strict
// templates, and specs the C generator cannot express rejected with the attribute's name
// (instead of emitting C that would print the wrong thing).
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { readFileSync } from "node:fs";
import { loadSpecFile, loadSpecText } from "../src/load/load-spec.ts";
import { emitCHeader } from "../src/emit/emit-c-header.ts";
import { emitCSysfs } from "../src/emit/emit-c-sysfs.ts";
import { renderTemplate } from "../src/emit/hbs-env.ts";
import type { DeviceModel } from "../src/model/register-model.ts";
import { REPO_ROOT } from "./c/toolchain.ts";
import { generateElsewhere } from "./fixtures/emit-elsewhere.ts";

const loaded = loadSpecFile(join(REPO_ROOT, "spec/registers.yaml"));
if (!loaded.ok) throw new Error("spec/registers.yaml does not load");
const model: DeviceModel = loaded.model;
const ctx = { specPath: "spec/registers.yaml" };
const sysfsC = (m: DeviceModel): string => emitCSysfs(m, ctx).find((f) => f.path.endsWith(".c"))!.content;

describe("C emitters", () => {
  test("write the three C files at the paths the kernel driver includes", () => {
    expect([...emitCHeader(model, ctx), ...emitCSysfs(model, ctx)].map((f) => f.path)).toEqual([
      "packages/kernel-driver/include/mock_accel_regs.h",
      "packages/kernel-driver/src/mock_accel_sysfs.h",
      "packages/kernel-driver/src/mock_accel_sysfs.c",
    ]);
  });

  test("the same bytes from another process, directory, time zone and locale", () => {
    const here = [...emitCHeader(model, ctx), ...emitCSysfs(model, ctx)];
    const elsewhere = generateElsewhere(join(REPO_ROOT, "spec/registers.yaml"));
    expect(elsewhere.filter((f) => here.some((h) => h.path === f.path))).toEqual(here);
  });

  test("_RESET exists only for registers with a constant reset value", () => {
    const h = emitCHeader(model, ctx)[0]!.content;
    expect(h).toMatch(/^#define MOCK_ACCEL_STATUS_RESET\s+0x00000000U$/m);
    expect(h).not.toMatch(/MOCK_ACCEL_MEMORY_SIZE_RESET/);
    expect(h).not.toMatch(/MOCK_ACCEL_PASSPHRASE_CMD_RESET/);
  });

  test("the sysfs header declares a show/store per mode for each driver attribute, and nothing for register ones", () => {
    const h = emitCSysfs(model, ctx).find((f) => f.path.endsWith(".h"))!.content;
    expect(h).toMatch(/ssize_t mock_accel_sriov_numvfs_show\(/);
    expect(h).toMatch(/ssize_t mock_accel_sriov_numvfs_store\(/);
    expect(h).not.toMatch(/mock_accel_load_wordlist_show/); // 0200: store only
    expect(h).not.toMatch(/mock_accel_sysfs_status_show/); // register-backed: static in the .c
  });

  test("only RO registers with a `source` are read at probe; their shows touch no register, live ones read BAR0", () => {
    const cached = model.attributes.filter((a) => a.cachedAtProbe).map((a) => a.name);
    expect(cached).toEqual(["uuid", "memory_size", "capabilities", "fw_version"]);
    // RO with a constant reset is still live: the device's own handlers change it.
    expect(model.attributes.find((a) => a.name === "passphrase_status")!.cachedAtProbe).toBe(false);
    const c = sysfsC(model);
    const body = (name: string): string => {
      const start = c.indexOf(`mock_accel_sysfs_${name}_show(struct`);
      return c.slice(start, c.indexOf("\n}\n", start));
    };
    for (const name of cached) {
      expect(body(name)).not.toMatch(/ioread32|_bar0\(/);
      expect(body(name)).toMatch(/mock_accel_sysfs_cached\(dev\)/);
    }
    expect(body("status")).toMatch(/ioread32\(bar0 \+ MOCK_ACCEL_STATUS_OFFSET\)/);
    const fill = c.slice(c.indexOf("void mock_accel_sysfs_cache_fill("), c.indexOf("\n}\n", c.indexOf("void mock_accel_sysfs_cache_fill(")));
    expect(fill).toMatch(/c->memory_size \|= \(u64\)ioread32\(bar0 \+ MOCK_ACCEL_MEMORY_SIZE_OFFSET \+ 4\) << 32;/);
    expect(fill).not.toMatch(/STATUS/);
    const h = emitCSysfs(model, ctx).find((f) => f.path.endsWith(".h"))!.content;
    expect(h).toMatch(/struct mock_accel_sysfs_cache \{\n\t__le32 uuid\[4\];\n\tu64 memory_size;\n/);
    // A register the guest can write is never cached, even with a `source`.
    const text = readFileSync(join(REPO_ROOT, "spec/registers.yaml"), "utf8");
    const rw = text.replace(/(- name: MEMORY_SIZE\n(?:\s+\w+: .*\n)*?\s+access:) RO/, "$1 RW");
    expect(rw).not.toBe(text);
    const reloaded = loadSpecText(rw, "spec/registers.yaml");
    if (!reloaded.ok) throw new Error(JSON.stringify(reloaded.errors));
    expect(reloaded.model.attributes.find((a) => a.name === "memory_size")!.cachedAtProbe).toBe(false);
    expect(sysfsC(reloaded.model)).not.toMatch(/c->memory_size/);
  });

  test("every store validates before its only register write", () => {
    const c = sysfsC(model);
    const functions = c.split(/\n(?=static ssize_t )/).map((f) => f.slice(0, f.indexOf("\n}\n")));
    const stores = functions.filter((f) => /_store\(/.test(f.split("\n")[0]!));
    expect(stores.length).toBe(model.attributes.filter((a) => a.writable && a.source.kind === "register").length);
    for (const body of stores) {
      const parse = body.indexOf("kstrto");
      const write = body.indexOf("iowrite32");
      expect(parse, body).toBeGreaterThan(0);
      expect(write, body).toBeGreaterThan(parse);
      expect(body.slice(write)).not.toMatch(/-EINVAL/);
    }
  });

  test("a writable field-backed attribute does a masked read-modify-write and refuses values wider than the field", () => {
    const m = structuredClone(model);
    const status = m.attributes.find((a) => a.name === "status")!;
    m.attributes.push({ ...status, name: "allocated", format: "bool", valueType: "bool", source: { kind: "register", register: "STATUS", field: "ALLOCATED" }, write: null });
    const c = sysfsC(m);
    const store = c.slice(c.indexOf("mock_accel_sysfs_allocated_store(struct"));
    expect(store).toMatch(/if \(val > \(MOCK_ACCEL_STATUS__ALLOCATED_bm >> MOCK_ACCEL_STATUS__ALLOCATED_bp\)\)\n\t\treturn -EINVAL;/);
    expect(store).toMatch(/reg = \(reg & ~MOCK_ACCEL_STATUS__ALLOCATED_bm\) \| \(val << MOCK_ACCEL_STATUS__ALLOCATED_bp\);/);
  });

  test("a format the register cannot carry is an error naming the attribute", () => {
    const m = structuredClone(model);
    m.attributes.find((a) => a.name === "memory_size")!.format = "hex32";
    expect(() => emitCSysfs(m, ctx)).toThrow(/sysfs attribute memory_size: hex32 needs a register of at most 4 bytes, MEMORY_SIZE is 8/);
    const n = structuredClone(model);
    n.attributes.find((a) => a.name === "fw_version")!.format = "uuid";
    expect(() => emitCSysfs(n, ctx)).toThrow(/sysfs attribute fw_version: uuid needs a 16-byte register/);
  });

  test("templates are strict: a view missing a variable is an error, not an empty string", () => {
    expect(() => renderTemplate("c-header.h.hbs", { fileName: "x.h" })).toThrow(/template c-header\.h\.hbs: .*not defined/);
  });
});
