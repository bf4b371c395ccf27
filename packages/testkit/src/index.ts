// Test-suite helpers shared by every package: whether a real tool is present, and what to do
// when it is not. On a laptop a missing tool skips the test with the command that installs it;
// under CI=true nothing skips, the test fails and names what is missing.

export const isCI = process.env.CI === "true" || process.env.CI === "1";

export interface Requirement {
  /** True when the test may run. */
  available: boolean;
  /** True when the test should be skipped (never under CI). */
  skip: boolean;
  /** What is missing and how to install it. */
  reason: string;
}

/**
 * Decide whether tests needing `what` can run. `present` is the check's result; `install`
 * is the command a user runs to fix it. Prints one line when the tool is missing.
 */
export function requirement(what: string, present: boolean, install: string): Requirement {
  const reason = `${what} not found; install it with: ${install}`;
  if (!present) {
    if (isCI) console.error(`[testkit] CI=true: ${reason} (tests that need it will fail)`);
    else console.warn(`[testkit] skipping: ${reason}`);
  }
  return { available: present, skip: !present && !isCI, reason };
}

/** Throw inside a test when a requirement is missing under CI, so the test fails loudly. */
export function assertAvailable(req: Requirement): void {
  if (!req.available) throw new Error(req.reason);
}

/**
 * Polls `fn` until it returns a value other than undefined (errors count as "not yet"), for
 * state another process reaches in its own time (an API server, a controller). Throws after
 * `timeoutMs`, naming what it waited for and the last error.
 */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000, intervalMs = 250): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
