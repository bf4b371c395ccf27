// One logger for the server and the driver: levels filter, the console format, prefixes, and
// the in-memory logger tests read.
import { afterEach, describe, expect, it, vi } from "vitest";
import { atLevel, createConsoleLogger, MemoryLogger, prefixed, silentLogger } from "../src/index.ts";

afterEach(() => vi.restoreAllMocks());

const each = (log: { debug(m: string): void; info(m: string): void; warn(m: string): void; error(m: string): void }) => {
  log.debug("d");
  log.info("i");
  log.warn("w");
  log.error("e");
};

describe("logger", () => {
  it("atLevel drops what is below the level, silent drops everything", () => {
    const mem = new MemoryLogger();
    each(atLevel(mem, "warn"));
    expect(mem.lines).toEqual(["warn: w", "error: e"]);
    const all = new MemoryLogger();
    each(atLevel(all, "debug"));
    expect(all.lines).toEqual(["debug: d", "info: i", "warn: w", "error: e"]);
    const none = new MemoryLogger();
    each(atLevel(none, "silent"));
    expect(none.lines).toEqual([]);
  });

  it("the console logger writes `[prefix] level: message` to stderr, from its level up", () => {
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    const out = vi.spyOn(console, "log").mockImplementation(() => {});
    each(createConsoleLogger("info", "dra"));
    expect(err.mock.calls.map((c) => c[0])).toEqual(["[dra] info: i", "[dra] warn: w", "[dra] error: e"]);
    expect(out).not.toHaveBeenCalled();
  });

  it("prefixed names the source of every line; MemoryLogger finds messages by text and level", () => {
    const mem = new MemoryLogger();
    each(prefixed(mem, "pf0"));
    expect(mem.lines).toEqual(["debug: pf0: d", "info: pf0: i", "warn: pf0: w", "error: pf0: e"]);
    expect(mem.find("pf0")).toHaveLength(4);
    expect(mem.find("pf0: w", "warn")).toEqual(["pf0: w"]);
    expect(mem.find("pf0: w", "error")).toEqual([]);
    each(silentLogger);
  });
});
