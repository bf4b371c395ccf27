// How the API server reaches kubelets that live in VMs: QEMU forwards a loopback port to each
// guest's kubelet, but the API server dials the address the Node reports (its guest address).
// The API server sends that "cluster" traffic (logs, exec, port-forward) through an egress
// selector to this HTTP CONNECT proxy on a UNIX socket, which maps a node's address to its
// loopback forward and refuses every other destination: nothing is dialled but loopback.
import { createServer, connect, type Server, type Socket } from "node:net";
import { rmSync, writeFileSync } from "node:fs";

export interface NodeRoutes {
  /** The UNIX socket the API server's egress selector connects to. */
  readonly socketPath: string;
  /** Send connections for `address` ("ip:port", as the API server dials it) to 127.0.0.1:`hostPort`. */
  add(address: string, hostPort: number): void;
  remove(address: string): void;
  close(): Promise<void>;
}

const MAX_HEADER = 8192;

export async function startNodeRoutes(socketPath: string): Promise<NodeRoutes> {
  const routes = new Map<string, number>();
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    open.add(client);
    client.on("close", () => open.delete(client));
    client.on("error", () => client.destroy());
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) {
        if (head.length > MAX_HEADER) client.end("HTTP/1.1 431 Request Header Fields Too Large\r\n\r\n");
        return;
      }
      client.off("data", onData);
      const request = /^CONNECT (\S+) HTTP\/1\.[01]\r\n/.exec(head.subarray(0, end + 2).toString("latin1"));
      const target = request ? routes.get(request[1]!) : undefined;
      if (target === undefined) {
        client.end(`HTTP/1.1 ${request ? "502 Bad Gateway" : "405 Method Not Allowed"}\r\n\r\n`);
        return;
      }
      const upstream = connect({ host: "127.0.0.1", port: target });
      open.add(upstream);
      upstream.on("close", () => {
        open.delete(upstream);
        client.destroy();
      });
      upstream.on("error", () => client.end("HTTP/1.1 502 Bad Gateway\r\n\r\n"));
      upstream.on("connect", () => {
        client.write("HTTP/1.1 200 Connection established\r\n\r\n");
        const rest = head.subarray(end + 4);
        if (rest.length > 0) upstream.write(rest);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      client.on("close", () => upstream.destroy());
    };
    client.on("data", onData);
  });
  rmSync(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });
  return {
    socketPath,
    add: (address, hostPort) => void routes.set(address, hostPort),
    remove: (address) => void routes.delete(address),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
        rmSync(socketPath, { force: true });
      }),
  };
}

/** The API server's --egress-selector-config-file: "cluster" traffic over HTTP CONNECT on `socketPath`. */
export function writeEgressSelectorConfig(path: string, socketPath: string): string {
  writeFileSync(path, `apiVersion: apiserver.k8s.io/v1beta1
kind: EgressSelectorConfiguration
egressSelections:
- name: cluster
  connection:
    proxyProtocol: HTTPConnect
    transport:
      uds:
        udsName: ${socketPath}
`);
  return path;
}
