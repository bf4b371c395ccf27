// Watching devices come and go: VFs enabled and disabled, the module unloaded and loaded.
import { describe, expect, test } from "vitest";
import { MockAccelSysfs, type DeviceEvent } from "@mock-accel/sysfs-client";
import { watchDevices } from "../src/watch.ts";
import { fakeSysfs, tempDir } from "./fake-root.ts";

/** Pull events one at a time so the test can change the tree between them. */
function events(iter: AsyncGenerator<DeviceEvent, void, undefined>) {
  return {
    async take(n: number): Promise<string[]> {
      const out: string[] = [];
      while (out.length < n) {
        const r = await iter.next();
        if (r.done) throw new Error(`watch ended after ${out.length} of ${n} events`);
        out.push(`${r.value.type} ${r.value.device.name}`);
      }
      return out;
    },
  };
}

describe("watch()", () => {
  test("reports existing devices, then VFs enabled and disabled, and ends cleanly on abort", async () => {
    const fake = await fakeSysfs([{ totalVfs: 3 }]);
    const abort = new AbortController();
    const iter = new MockAccelSysfs({ root: fake.root }).watch({ intervalMs: 5, signal: abort.signal });
    const ev = events(iter);
    expect(await ev.take(1)).toEqual(["added mock0"]);

    await fake.enableVfs("mock0", 2);
    expect((await ev.take(2)).sort()).toEqual(["added mock0_vf0", "added mock0_vf1"]);

    await fake.enableVfs("mock0", 0);
    expect((await ev.take(2)).sort()).toEqual(["removed mock0_vf0", "removed mock0_vf1"]);

    abort.abort();
    expect(await iter.next()).toEqual({ done: true, value: undefined });
  });

  test("an event carries the whole device (kind, PF, PCI address)", async () => {
    const fake = await fakeSysfs([{ totalVfs: 1 }]);
    const abort = new AbortController();
    const iter = new MockAccelSysfs({ root: fake.root }).watch({ intervalMs: 5, signal: abort.signal });
    expect((await iter.next()).value).toMatchObject({ type: "added", device: { name: "mock0", kind: "pf", pf: null } });
    await fake.enableVfs("mock0", 1);
    const { value } = await iter.next();
    expect(value).toMatchObject({ type: "added", device: { name: "mock0_vf0", kind: "vf", pciAddress: "0000:11:00.1", pf: { name: "mock0" } } });
    abort.abort();
    await iter.return();
  });

  test("unloading the module removes every device; loading it brings them back", async () => {
    const fake = await fakeSysfs([{ totalVfs: 1, enabledVfs: 1 }, { numaNode: 1 }]);
    const abort = new AbortController();
    const iter = new MockAccelSysfs({ root: fake.root }).watch({ intervalMs: 5, signal: abort.signal });
    const ev = events(iter);
    expect((await ev.take(3)).sort()).toEqual(["added mock0", "added mock0_vf0", "added mock1"]);
    await fake.unloadDriver();
    expect((await ev.take(3)).sort()).toEqual(["removed mock0", "removed mock0_vf0", "removed mock1"]);
    await fake.loadDriver();
    expect((await ev.take(3)).sort()).toEqual(["added mock0", "added mock0_vf0", "added mock1"]);
    abort.abort();
  });

  test("hot-added and removed PFs", async () => {
    const fake = await fakeSysfs([{}]);
    const abort = new AbortController();
    const ev = events(new MockAccelSysfs({ root: fake.root }).watch({ intervalMs: 5, signal: abort.signal }));
    expect(await ev.take(1)).toEqual(["added mock0"]);
    expect(await fake.addDevice({ numaNode: 1 })).toBe("mock1");
    expect(await ev.take(1)).toEqual(["added mock1"]);
    await fake.removeDevice("mock0");
    expect(await ev.take(1)).toEqual(["removed mock0"]);
    abort.abort();
  });

  test("watching before the module is loaded waits for it instead of failing", async () => {
    const root = await tempDir();
    const abort = new AbortController();
    const ev = events(new MockAccelSysfs({ root }).watch({ intervalMs: 5, signal: abort.signal }));
    const pending = ev.take(1);
    const { createFakeSysfs } = await import("@mock-accel/sysfs-client");
    const fake = await createFakeSysfs(root, [{}]);
    expect(await pending).toEqual(["added mock0"]);
    abort.abort();
    await fake.cleanup();
  });

  test("`since` a discover() result: only what changed after it, with no gap", async () => {
    const fake = await fakeSysfs([{ totalVfs: 2, enabledVfs: 1 }]);
    const client = new MockAccelSysfs({ root: fake.root });
    const known = await client.discover();
    await fake.enableVfs("mock0", 2); // before the watch starts: still reported
    const abort = new AbortController();
    const ev = events(client.watch({ intervalMs: 5, signal: abort.signal, since: known }));
    expect(await ev.take(1)).toEqual(["added mock0_vf1"]);
    await fake.removeDevice("mock0");
    expect((await ev.take(3)).sort()).toEqual(["removed mock0", "removed mock0_vf0", "removed mock0_vf1"]);
    abort.abort();
  });

  test("emitExisting: false reports only what changes after the first look", async () => {
    const fake = await fakeSysfs([{ totalVfs: 1 }]);
    const client = new MockAccelSysfs({ root: fake.root });
    const abort = new AbortController();
    // client.watch() is watchDevices over discover(); this list also says when the second look
    // starts, which is after the first look became the starting point.
    let looks = 0;
    let secondLook!: () => void;
    const firstLookDone = new Promise<void>((resolve) => (secondLook = resolve));
    const list = () => {
      if (++looks === 2) secondLook();
      return client.discover();
    };
    const iter = watchDevices(list, { intervalMs: 5, signal: abort.signal, emitExisting: false });
    const first = iter.next(); // starts the first look
    await firstLookDone;
    await fake.enableVfs("mock0", 1);
    expect((await first).value).toMatchObject({ type: "added", device: { name: "mock0_vf0" } });
    abort.abort();
  });

  test("aborting while handling an event ends the loop, even with more events in the same look", async () => {
    const fake = await fakeSysfs([{ totalVfs: 3, enabledVfs: 3 }]);
    const abort = new AbortController();
    const seen: string[] = [];
    for await (const e of new MockAccelSysfs({ root: fake.root }).watch({ intervalMs: 5, signal: abort.signal })) {
      seen.push(e.device.name);
      abort.abort();
    }
    expect(seen).toEqual(["mock0"]);
  });

  test("an already aborted signal ends at once; a bad interval is refused", async () => {
    const fake = await fakeSysfs([{}]);
    const client = new MockAccelSysfs({ root: fake.root });
    const seen: DeviceEvent[] = [];
    for await (const e of client.watch({ signal: AbortSignal.abort() })) seen.push(e);
    expect(seen).toEqual([]);
    await expect(client.watch({ intervalMs: -1 }).next()).rejects.toThrow(/intervalMs/);
  });
});
