// The socket helpers both transports share: path length, sockaddr_un, mode, and that every
// entry point (each host's addDevice, connectUnixSocket) answers a bad path or mode the same way.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertAvailable, requirement } from "@mock-accel/testkit";
import { buildDeviceConfig } from "../src/device/device-config.ts";
import { startDeviceHost } from "../src/transports/start-host.ts";
import { connectUnixSocket } from "../src/transports/proxy/unix-socket.ts";
import { DEFAULT_SOCKET_MODE, MAX_SOCKET_PATH_BYTES, SocketPathError, socketMode, umaskFor, unixSocketAddress } from "../src/transports/socket-path.ts";
import { LAYOUT, LIBC } from "../src/transports/vfio-user/abi.ts";
import { INSTALL_COMMAND } from "../src/transports/vfio-user/library-path.ts";
import { libvfioUserInstalled } from "../src/transports/vfio-user/libvfio-user.ts";

describe("socket-path helpers", () => {
  it("a sockaddr_un holds a path of up to sun_path minus its NUL", () => {
    expect(MAX_SOCKET_PATH_BYTES).toBe(107);
    const path = `/${"p".repeat(MAX_SOCKET_PATH_BYTES - 1)}`;
    const addr = unixSocketAddress(path);
    expect(addr.length).toBe(LAYOUT.sockaddr_un.size);
    expect(new DataView(addr.buffer).getUint16(LAYOUT.sockaddr_un.sun_family, true)).toBe(LIBC.AF_UNIX);
    expect(Buffer.from(addr.subarray(LAYOUT.sockaddr_un.sun_path, LAYOUT.sockaddr_un.sun_path + path.length)).toString()).toBe(path);
    expect(addr[LAYOUT.sockaddr_un.sun_path + path.length]).toBe(0);
    expect(() => unixSocketAddress(`${path}x`)).toThrow(SocketPathError);
    expect(() => unixSocketAddress(`${path}x`)).toThrow(/108 bytes; a UNIX socket address holds at most 107/);
  });

  it("connectUnixSocket refuses a path too long with the same error", () => {
    expect(() => connectUnixSocket(`/${"p".repeat(MAX_SOCKET_PATH_BYTES)}`)).toThrow(SocketPathError);
  });

  it("modes: 0o600 by default, permission bits only", () => {
    expect(socketMode("/s")).toBe(DEFAULT_SOCKET_MODE);
    expect(DEFAULT_SOCKET_MODE).toBe(0o600);
    expect(socketMode("/s", 0o660)).toBe(0o660);
    for (const bad of [-1, 0o1000, 1.5, Number.NaN]) expect(() => socketMode("/s", bad)).toThrow(/\/s: socket mode .* is not 0\.\.0o777/);
    expect(umaskFor(0o660)).toBe(0o117);
  });
});

const lib = requirement("libvfio-user", libvfioUserInstalled(), INSTALL_COMMAND);

describe.each(["proxy", "vfio-user"] as const)("%s host: socket mode checks", (transport) => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "socket-path-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.skipIf(transport === "vfio-user" && lib.skip)("refuses a mode outside 0..0o777 with a SocketPathError naming the socket", async () => {
    if (transport === "vfio-user") assertAvailable(lib);
    const host = await startDeviceHost(transport);
    try {
      const socketPath = join(dir, `${transport}.sock`);
      const config = buildDeviceConfig({ kind: "pf", uuid: "socket-path", totalVfs: 0 });
      const refused = host.addDevice({ socketPath, kind: "pf", config, socketMode: 0o1000 });
      await expect(refused).rejects.toThrow(SocketPathError);
      await expect(refused).rejects.toThrow(`${socketPath}: socket mode 512 is not 0..0o777`);
    } finally {
      await host.close();
    }
  });
});
