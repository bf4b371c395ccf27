// NodePrepareResources / NodeUnprepareResources: per claim, mark each device allocated in its
// STATUS register (through the sysfs client), write the claim's CDI spec and record the claim
// in the checkpoint. One claim failing never fails another; every operation is serialized, so
// two claims racing for one device cannot both win. The order of the steps is what makes a
// crash at any point recoverable: see the README's "Crash safety" section.
import { STATUS_ALLOCATED, type MockAccelDevice } from "@mock-accel/sysfs-client";
import { existsSync } from "node:fs";
import { buildCdiSpec, cdiDeviceId, cdiSpecPath, removeCdiSpec, writeCdiSpec, type CdiDeviceInfo } from "./cdi.ts";
import type { Checkpoint, CheckpointDevice } from "./checkpoint.ts";
import { claimUid, type ClaimUid } from "./claim-uid.ts";
import { baseRequestName, type ClaimSource } from "./claims.ts";
import type { DeviceInventory } from "./inventory.ts";
import type { DraHandler } from "./kubelet-plugin.ts";
import type { Logger } from "./logger.ts";
import type {
  Claim, NodePrepareResourceResponse, NodePrepareResourcesRequest, NodePrepareResourcesResponse,
  NodeUnprepareResourcesRequest, NodeUnprepareResourcesResponse, PreparedDevice,
} from "./proto.ts";

// STATUS.ALLOCATED comes from the client (checked there against spec/registers.yaml); still
// exported from here for callers that took it from this package.
export { STATUS_ALLOCATED };

export interface ClaimPreparerOptions {
  driverName: string;
  nodeName: string;
  cdiDir: string;
  checkpoint: Checkpoint;
  inventory: DeviceInventory;
  claims: ClaimSource;
  log: Logger;
  /**
   * Called after each step whose effect outlives the process, before the next one starts.
   * Tests stop the preparer there (a promise that never settles) to recover from that state
   * with a new one, as from a plugin killed at that point.
   */
  afterStep?: (step: PrepareStep, uid: ClaimUid) => void | Promise<void>;
}

/**
 * The steps of prepare (recorded → device-marked per device → cdi-written) and of unprepare
 * (device-cleared per device → cdi-removed → the record deleted).
 */
export type PrepareStep = "recorded" | "device-marked" | "cdi-written" | "device-cleared" | "cdi-removed";

const describe = (c: { namespace: string; name: string }, uid: string) => `claim ${c.namespace}/${c.name} (${uid})`;

export class ClaimPreparer implements DraHandler {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: ClaimPreparerOptions) {}

  async prepare(req: NodePrepareResourcesRequest): Promise<NodePrepareResourcesResponse> {
    const claims: NodePrepareResourcesResponse["claims"] = {};
    for (const claim of req.claims) {
      claims[claim.uid] = await this.serialized(() => this.prepareClaim(claim)).then(
        (devices): NodePrepareResourceResponse => ({ devices, error: "" }),
        (err: unknown): NodePrepareResourceResponse => {
          const error = `${describe(claim, claim.uid)}: ${err instanceof Error ? err.message : String(err)}`;
          this.o.log.error(`prepare: ${error}`);
          return { devices: [], error };
        },
      );
    }
    return { claims };
  }

  async unprepare(req: NodeUnprepareResourcesRequest): Promise<NodeUnprepareResourcesResponse> {
    const claims: NodeUnprepareResourcesResponse["claims"] = {};
    for (const claim of req.claims) {
      claims[claim.uid] = await this.serialized(() => this.unprepareClaim(claimUid(claim.uid))).then(
        () => ({ error: "" }),
        (err: unknown) => {
          const error = `${describe(claim, claim.uid)}: ${err instanceof Error ? err.message : String(err)}`;
          this.o.log.error(`unprepare: ${error}`);
          return { error };
        },
      );
    }
    return { claims };
  }

  private async step(step: PrepareStep, uid: ClaimUid): Promise<void> {
    if (this.o.afterStep) await this.o.afterStep(step, uid);
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private response(devices: readonly CheckpointDevice[]): PreparedDevice[] {
    return devices.flatMap((d) => d.requestNames.map((r) => ({ requestNames: [r], poolName: d.poolName, deviceName: d.deviceName, cdiDeviceIds: d.cdiDeviceIds })));
  }

  private async prepareClaim(claim: Claim): Promise<PreparedDevice[]> {
    const { checkpoint, driverName, nodeName, cdiDir, log } = this.o;
    // Checked before anything else: the UID names the CDI spec file.
    const uid = claimUid(claim.uid);
    const specPath = cdiSpecPath(cdiDir, driverName, uid);
    // Idempotent: the kubelet retries prepare, and after its own restart (it keeps "prepared"
    // in memory only) it prepares every claim again. Only what this process finished is
    // trusted; anything older is redone, which also rewrites a spec a power loss took away.
    const known = checkpoint.get(uid);
    if (known !== undefined && checkpoint.isPrepared(uid) && existsSync(specPath)) return this.response(known.devices);

    const results = await this.o.claims.allocation(claim, driverName);
    const byDevice = new Map<string, CheckpointDevice>();
    for (const r of results) {
      if (r.pool !== nodeName) throw new Error(`allocated device ${r.pool}/${r.device} is in pool ${r.pool}, this node's pool is ${nodeName}`);
      const d: CheckpointDevice = byDevice.get(r.device) ?? { deviceName: r.device, poolName: r.pool, requestNames: [], cdiDeviceIds: [cdiDeviceId(driverName, uid, r.device)], adminAccess: true };
      const request = baseRequestName(r.request);
      if (!d.requestNames.includes(request)) d.requestNames.push(request);
      // One request using the device for real makes the whole claim a user of it.
      d.adminAccess = d.adminAccess === true && r.adminAccess;
      if (!d.adminAccess) delete d.adminAccess;
      byDevice.set(r.device, d);
    }
    const devices = [...byDevice.values()];
    // Nothing of ours in the allocation: no CDI spec (one with no devices is invalid) and nothing to undo.
    if (devices.length === 0) {
      log.info(`${describe(claim, uid)}: no devices of ${driverName} allocated; nothing to prepare`);
      return [];
    }
    const found: MockAccelDevice[] = [];
    const find = await this.o.inventory.lookup(devices.map((d) => d.deviceName));
    for (const d of devices) {
      const device = find(d.deviceName);
      if (!device) throw new Error(`device ${d.deviceName} is not present on node ${nodeName}`);
      found.push(device);
      if (d.adminAccess) continue;
      const holder = checkpoint.holder(d.deviceName);
      if (holder !== undefined && holder !== uid) {
        const other = checkpoint.get(holder)!;
        throw new Error(`device ${d.deviceName} is held by ${describe(other, holder)}`);
      }
      // A set bit nobody in our checkpoint owns was set by another node agent: not ours to take.
      if (holder === undefined && ((await device.read("status")) & STATUS_ALLOCATED) !== 0) {
        throw new Error(`device ${d.deviceName} (${device.name}) reads STATUS allocated but no claim prepared by this plugin holds it`);
      }
    }

    // Recorded durably before any device is touched: a plugin killed from here on still knows what to undo.
    checkpoint.set(uid, { namespace: claim.namespace, name: claim.name, state: "preparing", devices });
    await this.step("recorded", uid);
    try {
      const cdi: CdiDeviceInfo[] = [];
      for (const [i, device] of found.entries()) {
        if (!devices[i]!.adminAccess) {
          const status = await device.read("status");
          if ((status & STATUS_ALLOCATED) === 0) await device.write("status", (status | STATUS_ALLOCATED) >>> 0);
          await this.step("device-marked", uid);
        }
        cdi.push({ deviceName: devices[i]!.deviceName, kernelName: device.name, devNode: device.devicePath, uuid: await device.read("uuid"), pciAddress: device.pciAddress, classDir: device.path });
      }
      writeCdiSpec(specPath, buildCdiSpec(driverName, uid, cdi));
      await this.step("cdi-written", uid);
      // Memory only: after a restart nothing is trusted and a retried prepare redoes the steps above.
      checkpoint.markPrepared(uid);
    } catch (err) {
      // The kubelet does not unprepare a claim whose prepare failed: undo here.
      await this.unprepareClaim(uid).catch((undo: unknown) => log.error(`${describe(claim, uid)}: rolling back a failed prepare failed too: ${String(undo)}`));
      throw err;
    }
    log.info(`prepared ${describe(claim, uid)}: ${found.map((d) => d.name).join(", ")}`);
    return this.response(devices);
  }

  private async unprepareClaim(uid: ClaimUid): Promise<void> {
    const { checkpoint, driverName, cdiDir, log } = this.o;
    const known = checkpoint.get(uid);
    // Unknown claims succeed: the kubelet may repeat an unprepare that already completed.
    if (known) {
      const find = await this.o.inventory.lookup(known.devices.filter((d) => !d.adminAccess).map((d) => d.deviceName));
      for (const d of known.devices) {
        if (d.adminAccess) continue;
        const device = find(d.deviceName);
        if (!device) {
          log.warn(`${describe(known, uid)}: device ${d.deviceName} is gone; nothing to clear`);
          continue;
        }
        const status = await device.read("status");
        if ((status & STATUS_ALLOCATED) !== 0) await device.write("status", (status & ~STATUS_ALLOCATED) >>> 0);
        await this.step("device-cleared", uid);
      }
    }
    removeCdiSpec(cdiSpecPath(cdiDir, driverName, uid));
    await this.step("cdi-removed", uid);
    if (known) {
      // Durable before the answer: the kubelet never asks again for a claim it saw unprepared.
      checkpoint.delete(uid);
      log.info(`unprepared ${describe(known, uid)}`);
    }
  }
}
