// What in a guest's kernel log means something went wrong: warnings, BUGs, oopses, KASAN or
// kmemleak reports, refcount/list corruption, lockdep splats.
const PATTERNS: RegExp[] = [
  /\bWARNING:/,
  /\bBUG:/,
  /\bOops\b/,
  /\bKernel panic\b/,
  /\bunreferenced object\b/, // kmemleak
  /\bkmemleak\b.*\bleak/i,
  /\brefcount_t:/,
  /\blist_(add|del) corruption\b/,
  /\bpossible circular locking\b/,
  /\bgeneral protection fault\b/,
  /\bcall trace:/i,
];

/** The kernel log lines that report a problem (optionally only those mentioning `only`). */
export function guestKernelLogProblems(log: string, only?: RegExp): string[] {
  const lines = log.split("\n");
  const bad = lines.filter((l) => PATTERNS.some((p) => p.test(l)));
  return only ? bad.filter((l) => only.test(l)) : bad;
}
