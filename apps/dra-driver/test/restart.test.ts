// The plugin runs as its own process (`bun src/main.ts run`, what the DaemonSet runs), is
// killed with SIGKILL between prepare and unprepare, and a new process unprepares the claim
// from the checkpoint alone.
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { afterEach, expect, it } from "vitest";
import { Checkpoint } from "../src/checkpoint.ts";
import { cdiSpecPath } from "../src/cdi.ts";
import { claimUid } from "../src/claim-uid.ts";
import { DRIVER, NODE, eventually, exited, runPlugin as runPluginProcess, setup, type Env } from "./harness.ts";

let env: Env | undefined;
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await env?.cleanup();
  env = undefined;
});

function runPlugin(e: Env): ReturnType<typeof runPluginProcess> {
  const plugin = runPluginProcess(e);
  children.push(plugin.child);
  return plugin;
}

it("a restarted plugin unprepares what a killed one prepared", async () => {
  env = await setup([{ totalVfs: 2, enabledVfs: 2 }]);
  const uid = env.api.allocateClaim("default", "two-vfs", [
    { request: "vfs", driver: DRIVER, pool: NODE, device: "mock0-vf0" },
    { request: "vfs", driver: DRIVER, pool: NODE, device: "mock0-vf1" },
  ]);
  const claim = { namespace: "default", name: "two-vfs", uid };

  const first = runPlugin(env);
  await env.kubelet.register(DRIVER);
  const prepared = await env.kubelet.prepare([claim]);
  expect(prepared.claims[uid]!.error, first.output()).toBe("");
  expect(await env.status("mock0_vf0")).toBe(1);
  first.child.kill("SIGKILL");
  await exited(first.child);
  env.kubelet.close();

  // The kubelet finds the new process's registration socket and talks to it.
  const second = runPlugin(env);
  // Its predecessor's socket is still there; the kubelet would wait for the new one's creation event.
  await eventually("the new plugin to start", () => (second.output().includes("running as") ? true : undefined), 20_000);
  await env.kubelet.register(DRIVER);
  const res = await env.kubelet.unprepare([claim]);
  expect(res.claims[uid]).toEqual({ error: "" });
  expect(await env.status("mock0_vf0")).toBe(0);
  expect(await env.status("mock0_vf1")).toBe(0);
  expect(existsSync(cdiSpecPath(env.paths.cdiDir, DRIVER, claimUid(uid)))).toBe(false);
  expect(Checkpoint.load(env.paths.checkpointPath, DRIVER).claims()).toEqual({});
  expect(second.output()).toContain(`unprepared claim default/two-vfs (${uid})`);

  // SIGTERM stops it cleanly and takes its sockets away.
  second.child.kill("SIGTERM");
  await exited(second.child);
  expect(second.child.exitCode).toBe(0);
  expect(existsSync(`${env.paths.registrarDir}/${DRIVER}-reg.sock`)).toBe(false);
});

it("a corrupt checkpoint stops the start with one line naming the file and the field", async () => {
  env = await setup([{}]);
  mkdirSync(dirname(env.paths.checkpointPath), { recursive: true });
  const uid = "11111111-1111-4111-8111-111111111111";
  writeFileSync(env.paths.checkpointPath, JSON.stringify({ version: 1, driverName: DRIVER, claims: { [uid]: { namespace: "ns", name: "c", state: "prepared", devices: null } } }));
  const plugin = runPlugin(env);
  await exited(plugin.child);
  expect(plugin.child.exitCode).toBe(1);
  expect(plugin.output()).toBe(`mock-accel dra run: ${env.paths.checkpointPath}: /claims/${uid}/devices: expected array, found null\n`);
  // Nothing was started: no socket for the kubelet to find, no slice published.
  expect(existsSync(`${env.paths.registrarDir}/${DRIVER}-reg.sock`)).toBe(false);
  expect(env.api.slicesOf(NODE, DRIVER)).toEqual([]);
});
