// Free TCP ports on 127.0.0.1 for components that bind them a few seconds later. They are taken
// from below the kernel's ephemeral range: a port from inside it can be handed to any outgoing
// connection in the meantime (a kubectl, a test's HTTP client), and then the component fails
// with EADDRINUSE; CI lost a run to that once. Below the range only another listener can take
// it, and each port is checked free by binding it before it is handed out.
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** How far below the ephemeral range ports are drawn from. */
const SPAN = 16_384;

/** The kernel's ephemeral port range ([32768, 60999] by default). */
export function ephemeralPortRange(path = "/proc/sys/net/ipv4/ip_local_port_range"): [number, number] {
  try {
    const [low, high] = readFileSync(path, "utf8").trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low!, high!];
  } catch {
    // Not Linux, or no /proc: the default range.
  }
  return [32768, 60999];
}

/** The port bound on 127.0.0.1 and released again (for 0, the one the kernel chose), or null when it is taken. */
function tryBind(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(null));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === "object" && address ? address.port : null;
      server.close(() => resolve(bound));
    });
  });
}

export async function freeLoopbackPort(range = ephemeralPortRange()): Promise<number> {
  const high = range[0] - 1;
  const low = Math.max(1024, high - SPAN + 1);
  // A range that starts too low to leave room below it: let the kernel choose, as before.
  if (high - low >= 1023) {
    for (let attempt = 0; attempt < 64; attempt++) {
      const port = low + Math.floor(Math.random() * (high - low + 1));
      if ((await tryBind(port)) !== null) return port;
    }
  }
  const port = await tryBind(0);
  if (port === null) throw new Error("no free TCP port on 127.0.0.1");
  return port;
}

export async function freeLoopbackPorts(count: number, range = ephemeralPortRange()): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freeLoopbackPort(range));
  return [...ports];
}
