// A vitest reporter for output that is not a terminal (CI logs, `bun run test | tee`): vitest's
// default reporter then prints a file only when it has finished, so a guest boot or kernel
// build is silent for a minute. This one prints a line naming the files still running (and
// their current test) whenever nothing has finished for `MOCK_ACCEL_HEARTBEAT_MS` (8 s, so a
// log gains a line at least every 10 s).
// On a terminal it does nothing: vitest's own live summary is there.
import { relative } from "node:path";
import type { Reporter, TestCase, TestModule } from "vitest/node";

export default class HeartbeatReporter implements Reporter {
  private readonly everyMs = Number(process.env.MOCK_ACCEL_HEARTBEAT_MS ?? 8_000);
  private readonly active = !process.stdout.isTTY;
  /** Running files: when each started and the test it is in. */
  private readonly running = new Map<string, { started: number; test?: string }>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastLine = Date.now();
  private runStarted = Date.now();

  onTestRunStart(): void {
    if (!this.active) return;
    this.runStarted = this.lastLine = Date.now();
    this.timer = setInterval(() => this.tick(), Math.max(50, Math.min(1000, Math.floor(this.everyMs / 4))));
  }

  onTestModuleStart(m: TestModule): void {
    this.running.set(m.moduleId, { started: Date.now() });
  }

  onTestCaseReady(t: TestCase): void {
    const r = this.running.get(t.module.moduleId);
    if (r) r.test = t.name;
  }

  onTestModuleEnd(m: TestModule): void {
    this.running.delete(m.moduleId);
    this.lastLine = Date.now(); // the default reporter has just printed this file
  }

  onTestRunEnd(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    const now = Date.now();
    if (now - this.lastLine < this.everyMs) return;
    this.lastLine = now;
    const files = [...this.running].map(([id, r]) => {
      const where = r.test ? `, in "${r.test.slice(0, 60)}"` : "";
      return `${relative(process.cwd(), id)} (${Math.round((now - r.started) / 1000)} s${where})`;
    });
    const what = files.length > 0 ? files.join("; ") : "loading test files";
    process.stdout.write(`  … ${Math.round((now - this.runStarted) / 1000)} s: still running ${what}\n`);
  }
}
