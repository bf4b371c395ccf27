// How many warnings about refused or dropped clients one device logs. A flood of hostile clients
// (the issue-17 soak: ~6,500-7,500 lines in about a minute) made one line each, and each line
// cost the event loop a JSON encoding and the main thread a decoding and a write, for text that
// says the same thing thousands of times. So a device logs the first few of a second as they
// are and counts the rest, saying how many it left out once that second is over. While the
// flood lasts (the second before also left some out), it only counts: one line a second.
//
// Allocation-free on the counting path: the worker calls it per refused client, and every
// allocation there is garbage for the loop thread's collector (see worker.ts).

/** Verbatim client warnings per device per second; the rest become one summary line. */
export const CLIENT_WARNINGS_PER_SECOND = 5;
const WINDOW_MS = 1000;

export class ClientWarnings {
  /** When the current one-second window began (-Infinity: none yet). */
  private windowStart = -Infinity;
  private logged = 0;
  /** Left out and not yet summed up. */
  private suppressed = 0;
  /** The current window left some out. */
  private leftOut = false;
  /** The window before this one left some out, and this one began at once: count only. */
  private floodingNow = false;

  constructor(private readonly perSecond = CLIENT_WARNINGS_PER_SECOND) {}

  /**
   * A client warning at `now` (ms): true when it is to be logged as it is, false when it is
   * only counted. Call takeSummary first, so a finished window's count is not lost.
   */
  admit(now: number): boolean {
    if (now >= this.windowStart + WINDOW_MS) {
      this.floodingNow = this.leftOut && now < this.windowStart + 2 * WINDOW_MS;
      this.windowStart = now;
      this.logged = 0;
      this.leftOut = false;
    }
    if (!this.floodingNow && this.logged < this.perSecond) {
      this.logged++;
      return true;
    }
    this.suppressed++;
    this.leftOut = true;
    return false;
  }

  /** The current window logs none as they are: a flood goes on. */
  get flooding(): boolean {
    return this.floodingNow;
  }

  /** When a summary will be due (ms), or Infinity when nothing was left out. */
  get summaryDue(): number {
    return this.suppressed > 0 ? this.windowStart + WINDOW_MS : Infinity;
  }

  /** The warnings left out of a window that has ended by `now` (then forgotten), else 0. */
  takeSummary(now: number): number {
    if (this.suppressed === 0 || now < this.windowStart + WINDOW_MS) return 0;
    const n = this.suppressed;
    this.suppressed = 0;
    return n;
  }
}

/** The line that stands for `n` warnings left out of one second (`flooding`: none of it logged). */
export function clientWarningSummary(n: number, perSecond = CLIENT_WARNINGS_PER_SECOND, flooding = false): string {
  const clients = `client${n === 1 ? "" : "s"} refused or dropped in the last second`;
  return flooding ? `${n} ${clients} (a flood: only counted until a second passes without one)` : `${n} more ${clients} (only the first ${perSecond} each second are logged)`;
}
