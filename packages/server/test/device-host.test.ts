// DeviceHost: both transports behind one interface. Each case starts its host by name, serves a
// PF, has a client write STATUS, and hears of it through the interface alone; then close()
// removes the socket and a second close() waits on the first.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { requirement, assertAvailable } from "@mock-accel/testkit";
import { VfioUserClient } from "../src/client/vfio-user-client.ts";
import { PCI_REGION } from "../src/client/vfio-user-protocol.ts";
import { buildDeviceConfig } from "../src/device/device-config.ts";
import { REG } from "../src/generated/registers.ts";
import type { DeviceHost, HostClientEvent, HostRegisterWriteEvent, HostTransport } from "../src/transports/device-host.ts";
import { ProxyClient } from "../src/transports/proxy/proxy-client.ts";
import { ProxyHost } from "../src/transports/proxy/proxy-host.ts";
import { startDeviceHost } from "../src/transports/start-host.ts";
import { VfioUserHost } from "../src/transports/vfio-user/host.ts";
import { INSTALL_COMMAND } from "../src/transports/vfio-user/library-path.ts";
import { libvfioUserInstalled } from "../src/transports/vfio-user/libvfio-user.ts";

const lib = requirement("libvfio-user", libvfioUserInstalled(), INSTALL_COMMAND);
const STATUS_VALUE = 0x1;

/** Write STATUS the way each transport's guest side does. */
const writeStatus: Record<HostTransport, (socketPath: string) => Promise<void>> = {
  "vfio-user": async (socketPath) => {
    const c = await VfioUserClient.connect(socketPath);
    try {
      const bytes = new Uint8Array(REG.STATUS.sizeBytes);
      new DataView(bytes.buffer).setUint32(0, STATUS_VALUE, true);
      await c.regionWrite(PCI_REGION.BAR0, REG.STATUS.offsetBytes, bytes);
    } finally {
      c.close();
    }
  },
  proxy: async (socketPath) => {
    const c = await ProxyClient.connect(socketPath);
    try {
      // BAR0 is unprogrammed (base 0), so its offsets are the addresses.
      await c.barWrite(BigInt(REG.STATUS.offsetBytes), 4, BigInt(STATUS_VALUE));
    } finally {
      c.close();
    }
  },
};

describe.each(["vfio-user", "proxy"] as const)("DeviceHost over %s", (transport) => {
  let dir: string | undefined;
  let host: DeviceHost | undefined;
  afterEach(async () => {
    await host?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(transport === "vfio-user" && lib.skip)("serves a device, reports its register writes and clients, and removes its socket on close", async () => {
    if (transport === "vfio-user") assertAvailable(lib);
    dir = mkdtempSync(join(tmpdir(), "device-host-"));
    const h = await startDeviceHost(transport, {});
    host = h;
    expect(h.transport).toBe(transport);
    expect(h).toBeInstanceOf(transport === "vfio-user" ? VfioUserHost : ProxyHost);

    const config = buildDeviceConfig({ kind: "pf", uuid: `device-host-${transport}`, totalVfs: 2 });
    const dev = await h.addDevice({ socketPath: join(dir, "pf0.sock"), kind: "pf", config, multifunction: true });
    expect(dev.kind).toBe("pf");
    expect(h.socketPaths).toEqual([dev.socketPath]);

    const heard = new Promise<HostRegisterWriteEvent>((resolve) => {
      const listener = (e: HostRegisterWriteEvent) => {
        h.off("register-write", listener);
        resolve(e);
      };
      h.on("register-write", listener);
    });
    const clients: HostClientEvent[] = [];
    const attached = new Promise<void>((resolve) =>
      h.on("client", (e) => {
        clients.push(e);
        if (e.connected) resolve();
      }),
    );
    await writeStatus[transport](dev.socketPath);
    expect(await heard).toEqual({ socketPath: dev.socketPath, kind: "pf", name: "STATUS", value: BigInt(STATUS_VALUE), previous: 0n });
    await attached;
    expect(clients[0]).toEqual({ socketPath: dev.socketPath, connected: true });

    const first = h.close();
    const second = h.close();
    await second;
    expect(existsSync(dev.socketPath)).toBe(false);
    await first;
    await expect(h.addDevice({ socketPath: join(dir, "pf1.sock"), kind: "pf", config })).rejects.toThrow(/closed/);
  });
});
