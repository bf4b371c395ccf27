// Kernel modules from the Debian kernel package, with what each depends on, in load order.
// The package is unpacked, not installed, so it has no modules.dep: `modinfo -F depends` on each
// file gives the same answer depmod would.
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { runOk, type GuestKernel } from "@mock-accel/vm-harness";

export interface KernelModule {
  /** Module name as the kernel knows it (underscores). */
  name: string;
  /** Path of the .ko file on the host. */
  path: string;
  /** Path under lib/modules/<version>/, e.g. kernel/fs/ext4/ext4.ko. */
  relativePath: string;
}

const normalize = (name: string): string => name.replace(/-/g, "_");

function indexModules(kernel: GuestKernel): Map<string, string> {
  const root = join(kernel.root, "lib", "modules", kernel.version, "kernel");
  const index = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ko")) index.set(normalize(e.name.slice(0, -3)), p);
    }
  };
  walk(root);
  return index;
}

/**
 * `names` and everything they depend on, each after its dependencies. A name that is built into
 * the kernel (modules.builtin) is left out; one that is neither built in nor a module fails.
 */
export async function resolveModules(kernel: GuestKernel, names: readonly string[]): Promise<KernelModule[]> {
  const index = indexModules(kernel);
  const modulesDir = join(kernel.root, "lib", "modules", kernel.version);
  const builtin = new Set(
    (await runOk("cat", [join(modulesDir, "modules.builtin")])).split("\n").filter(Boolean).map((l) => normalize(l.split("/").pop()!.replace(/\.ko$/, ""))),
  );
  const ordered: KernelModule[] = [];
  const done = new Set<string>();
  const visiting = new Set<string>();
  const visit = async (raw: string): Promise<void> => {
    const name = normalize(raw);
    if (done.has(name) || builtin.has(name)) return;
    if (visiting.has(name)) throw new Error(`kernel modules: dependency cycle through ${name}`);
    const path = index.get(name);
    if (!path) throw new Error(`kernel ${kernel.version} has no module ${name} (neither built in nor under lib/modules)`);
    visiting.add(name);
    const depends = (await runOk("modinfo", ["-F", "depends", path])).trim();
    for (const dep of depends.split(",").filter(Boolean)) await visit(dep);
    visiting.delete(name);
    done.add(name);
    ordered.push({ name, path, relativePath: relative(modulesDir, path) });
  };
  for (const n of names) await visit(n);
  return ordered;
}
