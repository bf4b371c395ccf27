// One grammar for --socket-mode (serve, mock-accel-server, up): the spellings people type for
// permissions, and nothing a shell typo could turn into a world-writable socket by accident.
import { describe, expect, it } from "vitest";
import { parseSocketMode } from "../src/serve/socket-mode.ts";

describe("parseSocketMode", () => {
  it.each([
    ["600", 0o600],
    ["0600", 0o600],
    ["0o660", 0o660],
    ["0777", 0o777],
    ["7", 0o7],
  ])("reads %s as octal", (text, mode) => {
    expect(parseSocketMode(text)).toBe(mode);
  });

  it.each(["999", "0x1ff", "1000", "-600", "rw-rw----", "", "0o"])("refuses %j, naming it", (text) => {
    expect(() => parseSocketMode(text)).toThrow(`expected octal permissions like 600 or 0660, got "${text}"`);
  });
});
