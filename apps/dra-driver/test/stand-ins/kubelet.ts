// A kubelet stand-in: finds the plugin's registration socket in the registry directory as the
// kubelet's plugin watcher does, calls GetInfo and NotifyRegistrationStatus over real gRPC,
// then calls the DRA service at the advertised endpoint through the protos.
import * as grpc from "@grpc/grpc-js";
import { eventually } from "@mock-accel/testkit";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import {
  DRA_PLUGIN_TYPE, kubeletProtos, type Claim, type DraApiVersion,
  type NodePrepareResourcesResponse, type NodeUnprepareResourcesResponse, type PluginInfo,
} from "../../src/proto.ts";

function call<Req, Res>(client: grpc.Client, method: string, req: Req): Promise<Res> {
  const fn = (client as unknown as Record<string, (r: Req, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: Res) => void) => void>)[method];
  if (!fn) throw new Error(`no method ${method}`);
  return new Promise((resolve, reject) => fn.call(client, req, { deadline: Date.now() + 30_000 }, (err, res) => (err ? reject(err) : resolve(res))));
}

const waitFor = <T>(what: string, fn: () => T | undefined, timeoutMs = 15_000): Promise<T> => eventually(`the kubelet stand-in's ${what}`, fn, timeoutMs, 20);

export class KubeletStandIn {
  info: PluginInfo | undefined;
  private dra: grpc.Client | undefined;

  constructor(readonly registrarDir: string) {}

  /** Registers the plugin whose socket appears as `<driver>-reg.sock`; `accept: false` makes the kubelet refuse it. */
  async register(driverName: string, opts: { version?: DraApiVersion; accept?: boolean } = {}): Promise<PluginInfo> {
    const protos = kubeletProtos();
    const socket = await waitFor(`${driverName}-reg.sock in ${this.registrarDir}`, () =>
      existsSync(this.registrarDir) ? readdirSync(this.registrarDir).filter((f) => f === `${driverName}-reg.sock`).map((f) => join(this.registrarDir, f))[0] : undefined,
    );
    const reg = new protos.registration(`unix:${socket}`, grpc.credentials.createInsecure());
    try {
      const info = await call<object, PluginInfo>(reg, "GetInfo", {});
      const version = opts.version ?? "v1";
      let error = "";
      if (info.type !== DRA_PLUGIN_TYPE) error = `plugin type ${info.type}, expected ${DRA_PLUGIN_TYPE}`;
      else if (info.name !== driverName) error = `plugin name ${info.name}, expected ${driverName}`;
      else if (!info.supportedVersions.includes(`${version}.DRAPlugin`)) error = `plugin does not support ${version}.DRAPlugin`;
      else if (opts.accept === false) error = "refused by the kubelet stand-in";
      await call(reg, "NotifyRegistrationStatus", { pluginRegistered: error === "", error });
      if (error) throw new Error(`kubelet stand-in: registration failed: ${error}`);
      this.info = info;
      this.dra?.close();
      this.dra = new protos.dra[version](`unix:${info.endpoint}`, grpc.credentials.createInsecure());
      return info;
    } finally {
      reg.close();
    }
  }

  prepare(claims: Claim[]): Promise<NodePrepareResourcesResponse> {
    return call(this.client(), "NodePrepareResources", { claims });
  }

  unprepare(claims: Claim[]): Promise<NodeUnprepareResourcesResponse> {
    return call(this.client(), "NodeUnprepareResources", { claims });
  }

  close(): void {
    this.dra?.close();
    this.dra = undefined;
  }

  private client(): grpc.Client {
    if (!this.dra) throw new Error("kubelet stand-in: no plugin registered");
    return this.dra;
  }
}
