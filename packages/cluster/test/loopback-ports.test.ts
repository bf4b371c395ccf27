// Ports for the control plane's components come from below the ephemeral range, where no
// outgoing connection can take them between the choice and the component's bind.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { ephemeralPortRange, freeLoopbackPort, freeLoopbackPorts } from "../src/loopback-ports.ts";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const listen = (port: number): Promise<Server> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen({ port, host: "127.0.0.1", exclusive: true }, () => resolve(s));
  });

it("hands out distinct ports below the kernel's ephemeral range, each one bindable", async () => {
  const [low] = ephemeralPortRange();
  const ports = await freeLoopbackPorts(20);
  expect(new Set(ports).size).toBe(20);
  for (const port of ports) {
    expect(port).toBeLessThan(low);
    expect(port).toBeGreaterThanOrEqual(1024);
    servers.push(await listen(port));
  }
});

it("never hands out a port something listens on", async () => {
  // A range whose window below it is exactly 1024 ports, half of them taken.
  const range: [number, number] = [41024, 60999];
  for (let port = 40000; port < 40512; port++) {
    try {
      servers.push(await listen(port));
    } catch {
      // taken already by someone else: just as good
    }
  }
  for (let i = 0; i < 50; i++) {
    const port = await freeLoopbackPort(range);
    expect(port < 40000 || port >= 40512 || !servers.some((s) => (s.address() as { port: number }).port === port)).toBe(true);
  }
});

it("reads the range from the kernel's file, and lets the kernel choose when no room is left below it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "loopback-ports-"));
  try {
    const file = join(dir, "ip_local_port_range");
    writeFileSync(file, "20000\t30000\n");
    expect(ephemeralPortRange(file)).toEqual([20000, 30000]);
    expect(ephemeralPortRange(join(dir, "missing"))).toEqual([32768, 60999]);
    // 1024 is where the range starts: nothing below it but privileged ports.
    const port = await freeLoopbackPort([1024, 65535]);
    expect(port).toBeGreaterThan(0);
    servers.push(await listen(port));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
