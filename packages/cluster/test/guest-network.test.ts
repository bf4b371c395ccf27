// The guest network around a cluster's `kubernetes` Service address: QEMU only forwards a guest
// address inside its user network that is neither the gateway nor the DNS address, and a node
// on the Service address would shadow the API server.
import { describe, expect, it } from "vitest";
import { DEFAULT_GUEST_NETWORK, guestNetworkFor } from "../src/index.ts";

const inNet = (ip: string, net: string) => ip.split(".").slice(0, 2).join(".") === net.split(".").slice(0, 2).join(".");

describe("guestNetworkFor", () => {
  it("keeps the addresses the project's control plane has always used (10.96.0.1)", () => {
    const n = guestNetworkFor("10.96.0.1");
    expect({ ...n, nodeIp: undefined }).toEqual({ ...DEFAULT_GUEST_NETWORK, nodeIp: undefined });
    expect([n.net, n.prefix, n.gateway, n.dns, n.apiServerAddress, n.apiServerPort]).toEqual(["10.96.0.0", 16, "10.96.255.2", "10.96.255.3", "10.96.0.1", 443]);
    expect([0, 1, 2].map(n.nodeIp)).toEqual(["10.96.32.15", "10.96.33.15", "10.96.34.15"]);
  });

  it.each([
    ["k3s", "10.43.0.1"],
    ["a /12 Service range", "172.20.0.1"],
    ["a high address", "192.168.200.10"],
  ])("puts %s's Service address (%s) inside the guest network, apart from every other address", (_what, ip) => {
    const n = guestNetworkFor(ip);
    expect(n.apiServerAddress).toBe(ip);
    const others = [n.gateway, n.dns, ...[0, 1, 5, 200].map(n.nodeIp)];
    for (const a of [ip, ...others]) expect(inNet(a, n.net)).toBe(true);
    expect(new Set([ip, ...others]).size).toBe(others.length + 1);
    expect(n.net).toBe(`${ip.split(".").slice(0, 2).join(".")}.0.0`);
  });

  it.each(["10.96.255.2", "10.96.255.3", "10.96.32.15", "10.96.33.15"])("moves the gateway, DNS or node address off a Service address of %s", (ip) => {
    const n = guestNetworkFor(ip);
    const others = [n.gateway, n.dns, n.nodeIp(0), n.nodeIp(1)];
    expect(others).not.toContain(ip);
    expect(new Set(others).size).toBe(4);
  });

  it("refuses what QEMU's IPv4 user network cannot hold, saying what it needs", () => {
    expect(() => guestNetworkFor("fd00:10:96::1")).toThrow(/expected an IPv4 address/);
    expect(() => guestNetworkFor("10.96.0.256")).toThrow(/"10.96.0.256": expected an IPv4 address/);
    expect(() => guestNetworkFor("10.96.0.1").nodeIp(-1)).toThrow(/node index -1/);
  });
});
