// Long steps are never silent: a command's own lines show as they come, a quiet step gets a
// status line naming it, and `\r` (a terminal's in-place update) never reaches a pipe or file.
import { afterEach, describe, expect, it, vi } from "vitest";
import { Heartbeat, runRelayed, runShown, type ProgressSink } from "../src/progress.ts";

function sink(isTTY: boolean): ProgressSink & { text: () => string } {
  const parts: string[] = [];
  return { isTTY, write: (t: string) => parts.push(t), text: () => parts.join("") };
}

/** The Heartbeat's clock (its interval and performance.now), moved by the test instead of waited for. */
function fakeClock(): void {
  vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "performance"] });
}

describe("runShown", () => {
  it("shows stdout and stderr lines indented as they come, then how long it took", async () => {
    const out = sink(false);
    await runShown("step", "sh", ["-c", "echo one; echo two >&2; printf three"], { out, indent: "  ", everyMs: 60_000 });
    expect(out.text()).toMatch(/^  one\n  two\n  three\n  step: done in \d+\.\d s\n$/);
  });

  it("on a pipe, a quiet command gets plain status lines naming it and its last line, never \\r", async () => {
    const out = sink(false);
    await runShown("setup", "sh", ["-c", "echo downloading; sleep 1"], { out, everyMs: 200 });
    const text = out.text();
    expect(text).not.toContain("\r");
    const status = text.split("\n").filter((l) => l.includes("setup: still running"));
    expect(status.length).toBeGreaterThanOrEqual(2);
    expect(status[0]).toContain("(last: downloading)");
  });

  it("fails with everything the command printed", async () => {
    const out = sink(false);
    await expect(runShown("broken", "sh", ["-c", "echo why >&2; exit 3"], { out, showOutput: false })).rejects.toThrow(/broken failed .*exit 3\):\nwhy/);
    expect(out.text()).toBe("");
  });
});

describe("Heartbeat", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("on a terminal, rewrites one status line in place and clears it before real output", () => {
    fakeClock();
    const out = sink(true);
    const beat = new Heartbeat("build", { out, everyMs: 100, indent: "" });
    vi.advanceTimersByTime(2300);
    expect(out.text().split("\r\x1b[Kbuild: still running").length - 1).toBeGreaterThanOrEqual(2); // rewritten, not appended
    beat.line("compiled");
    beat.stop();
    const text = out.text();
    expect(text).toMatch(/\r\x1b\[Kbuild: still running, \d+ s/);
    expect(text).not.toMatch(/still running[^\r]*\n/); // the status line never ends a line
    expect(text.endsWith("\r\x1b[Kcompiled\n")).toBe(true);
  });

  it("prints nothing for a step that keeps talking, and a status line once it goes quiet", () => {
    fakeClock();
    const out = sink(false);
    const beat = new Heartbeat("chatty", { out, everyMs: 200, indent: "" });
    // Ten lines 150 ms apart: 1.5 s, over seven intervals, but never 200 ms without a line.
    for (let i = 0; i < 10; i++) {
      beat.line(`line ${i}`);
      vi.advanceTimersByTime(150);
    }
    expect(out.text()).not.toContain("still running");
    vi.advanceTimersByTime(400);
    expect(out.text()).toContain("chatty: still running, 2 s (last: line 9)\n");
    beat.stop();
  });
});

describe("runRelayed", () => {
  it("on a pipe, passes output through as it is, adds status lines while quiet, returns the exit status", async () => {
    const out = sink(false);
    const status = await runRelayed("vitest", "sh", ["-c", "sleep 1; printf 'RUN v4\\n'; exit 3"], { out, everyMs: 200, indent: "" });
    expect(status).toBe(3);
    const text = out.text();
    expect(text).toMatch(/^(vitest: still running, \d+ s\n)+RUN v4\n$/);
  });
});
