// `cluster down` and `cluster leave` wait for the process they signalled to be gone. A program
// that started that process itself (a test, a CI script) and then runs down/leave cannot reap
// it until they return: its exited child is a zombie, which kill(pid, 0) still finds.
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { alive } from "../src/commands/cluster.ts";

describe("alive", () => {
  it("sees a running process, and a zombie or a missing pid as stopped", async () => {
    expect(alive(process.pid)).toBe(true);
    // sh starts `sleep 0`, then becomes `sleep 30`, which never reaps it: a zombie.
    const parent = spawn("sh", ["-c", "sleep 0 & echo $!; exec sleep 30"], { stdio: ["ignore", "pipe", "ignore"] });
    try {
      const pid = Number(await new Promise<string>((resolve) => parent.stdout!.once("data", (d: Buffer) => resolve(d.toString()))));
      await expect.poll(() => alive(pid), { timeout: 2000, interval: 20 }).toBe(false); // once sleep 0 has exited
      expect(() => process.kill(pid, 0)).not.toThrow(); // still in the process table
      expect(alive(pid)).toBe(false);
    } finally {
      parent.kill("SIGKILL");
    }
    expect(alive(2 ** 22 + 1)).toBe(false); // above pid_max's ceiling: no such process
  });
});
