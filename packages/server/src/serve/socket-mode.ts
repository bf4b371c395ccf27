// The `--socket-mode` flag of `mock-accel serve`, `mock-accel-server` and `mock-accel up`: one
// grammar and one message, so the commands accept the same spellings (600, 0660, 0o660).

/** Octal permissions of a device socket (0..0o777); throws an Error naming what was given. */
export function parseSocketMode(text: string): number {
  const m = /^(?:0o|0)?([0-7]{1,3})$/.exec(text);
  if (!m) throw new Error(`expected octal permissions like 600 or 0660, got "${text}"`);
  return Number.parseInt(m[1]!, 8);
}
