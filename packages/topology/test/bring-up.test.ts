// bringUp removes exactly what it created: its own sockets, and the folders it made when they
// are empty. A user's files, and another instance's live sockets, are left alone (issue 17).
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bringUp } from "../src/bring-up.ts";
import { loadTopologyFile } from "../src/load-topology.ts";

const examples = join(import.meta.dirname, "../../../examples");
const topology = loadTopologyFile(join(examples, "sriov.yaml"));

describe("bringUp: run directory ownership", () => {
  let base: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), "bring-up-"));
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it("leaves a user's file in the VM folder, and the folder with it; removes its own sockets", async () => {
    const vmDir = join(base, "vm0");
    mkdirSync(vmDir);
    writeFileSync(join(vmDir, "notes.txt"), "mine");
    const running = await bringUp(topology, { transport: "proxy", runDir: base });
    expect(readdirSync(vmDir).filter((f) => f.endsWith(".sock")).length).toBe(running.devices.length);
    await running.close();
    expect(readdirSync(vmDir)).toEqual(["notes.txt"]);
  });

  it("removes the folders it made (the run directory too, when it made it) once they are empty", async () => {
    const runDir = join(base, "fresh", "run");
    const running = await bringUp(topology, { transport: "proxy", runDir });
    expect(lstatSync(join(runDir, "vm0")).isDirectory()).toBe(true);
    await running.close();
    expect(existsSync(join(base, "fresh"))).toBe(false);
    expect(readdirSync(base)).toEqual([]);
  });

  it("a second instance on the same run directory is refused and leaves the first one's sockets alone", async () => {
    const first = await bringUp(topology, { transport: "proxy", runDir: base });
    try {
      await expect(bringUp(topology, { transport: "proxy", runDir: base })).rejects.toThrow(/another server is listening/);
      for (const d of first.devices) expect(lstatSync(d.socketPath).isSocket(), d.socketPath).toBe(true);
    } finally {
      await first.close();
    }
    expect(readdirSync(base)).toEqual([]);
  });

  it("reports the start-up error itself, not a clean-up error", async () => {
    writeFileSync(join(base, "a-file"), "");
    // The VM folder cannot be made under a regular file.
    await expect(bringUp(topology, { transport: "proxy", runDir: join(base, "a-file", "run") })).rejects.toThrow(/ENOTDIR|not a directory/);
  });
});
