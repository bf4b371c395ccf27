// The README's example is real: run it on this runtime and compare with the README's output
// ("…" stands for the parts that differ per run: temporary paths, UUIDs).
import { spawnSync } from "node:child_process";
import { mkdir, readFile, rm, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, test } from "vitest";

const pkg = join(__dirname, "..");

function blocks(markdown: string): { lang: string; body: string }[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, body: m[2]! }));
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

test("the README example runs and prints what the README says", async () => {
  const all = blocks(await readFile(join(pkg, "README.md"), "utf8"));
  const example = all.find((b) => b.lang === "ts")!;
  const output = all[all.indexOf(example) + 1]!;
  expect(example.body).toContain("@mock-accel/sysfs-client");
  // Inside the package, so the package name resolves through its own `exports` (Node: dist/).
  const dir = join(pkg, "test/.readme-example");
  await mkdir(dir, { recursive: true });
  const file = join(dir, `example-${process.pid}.mjs`);
  await writeFile(file, example.body);
  try {
    const r = spawnSync(process.execPath, [file], { encoding: "utf8", timeout: 60_000 });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const got = r.stdout.trimEnd().split("\n");
    const want = output.body.trimEnd().split("\n");
    expect(got).toHaveLength(want.length);
    want.forEach((line, i) => {
      expect(got[i]).toMatch(new RegExp(`^${line.split("…").map(escape).join(".*?")}$`));
    });
  } finally {
    await rm(file, { force: true });
    await rmdir(dir).catch(() => undefined); // another run's example may still be there
  }
});
