// The two gRPC endpoints the kubelet talks to: the registration socket in the kubelet's
// plugins_registry directory (the kubelet's plugin watcher finds it, calls GetInfo, then
// NotifyRegistrationStatus) and the DRA service socket advertised in GetInfo's endpoint,
// serving both the v1 and v1beta1 DRAPlugin services over one socket.
import * as grpc from "@grpc/grpc-js";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import {
  DRA_PLUGIN_TYPE, DRA_SERVICE_VERSIONS, kubeletProtos,
  type NodePrepareResourcesRequest, type NodePrepareResourcesResponse,
  type NodeUnprepareResourcesRequest, type NodeUnprepareResourcesResponse,
  type DraV1beta1Handlers, type DraV1Handlers, type PluginInfo, type RegistrationHandlers, type RegistrationStatus,
} from "./proto.ts";
import type { Logger } from "./logger.ts";

export interface DraHandler {
  prepare(req: NodePrepareResourcesRequest): Promise<NodePrepareResourcesResponse>;
  unprepare(req: NodeUnprepareResourcesRequest): Promise<NodeUnprepareResourcesResponse>;
}

export interface KubeletPluginOptions {
  driverName: string;
  /** The kubelet's plugin watcher directory, normally /var/lib/kubelet/plugins_registry. */
  registrarDir: string;
  /** This driver's directory for its DRA socket, normally /var/lib/kubelet/plugins/<driver>. */
  pluginDir: string;
  handler: DraHandler;
  log: Logger;
}

export interface KubeletPlugin {
  readonly registrationSocket: string;
  readonly draSocket: string;
  /** The last status the kubelet reported, or null before it called NotifyRegistrationStatus. */
  registrationStatus(): RegistrationStatus | null;
  stop(): Promise<void>;
}

function bind(server: grpc.Server, socket: string): Promise<void> {
  // A socket left by a killed predecessor would make bind fail with EADDRINUSE.
  rmSync(socket, { force: true });
  return new Promise((resolve, reject) =>
    server.bindAsync(`unix:${socket}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(new Error(`${socket}: ${err.message}`)) : resolve())),
  );
}

type Unary<Req, Res> = (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => void;

function unary<Req, Res>(what: string, log: Logger, fn: (req: Req) => Promise<Res>): Unary<Req, Res> {
  return (call, callback) => {
    fn(call.request).then(
      (res) => callback(null, res),
      (err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        log.error(`${what}: ${message}`);
        callback({ code: grpc.status.INTERNAL, details: message });
      },
    );
  };
}

/** Starts the DRA service first, then the registration service, so the kubelet never finds a registration socket whose endpoint is not yet listening. */
export async function startKubeletPlugin(opts: KubeletPluginOptions): Promise<KubeletPlugin> {
  const protos = kubeletProtos();
  mkdirSync(opts.pluginDir, { recursive: true });
  mkdirSync(opts.registrarDir, { recursive: true });
  const draSocket = join(opts.pluginDir, "dra.sock");
  const registrationSocket = join(opts.registrarDir, `${opts.driverName}-reg.sock`);

  const dra = new grpc.Server();
  const draImpl = {
    NodePrepareResources: unary("NodePrepareResources", opts.log, (req: NodePrepareResourcesRequest) => opts.handler.prepare(req)),
    NodeUnprepareResources: unary("NodeUnprepareResources", opts.log, (req: NodeUnprepareResourcesRequest) => opts.handler.unprepare(req)),
  } satisfies DraV1Handlers & DraV1beta1Handlers;
  dra.addService(protos.dra.v1.service, draImpl);
  dra.addService(protos.dra.v1beta1.service, draImpl);
  await bind(dra, draSocket);

  let status: RegistrationStatus | null = null;
  const registration = new grpc.Server();
  registration.addService(protos.registration.service, {
    GetInfo: unary("GetInfo", opts.log, async (): Promise<PluginInfo> => ({
      type: DRA_PLUGIN_TYPE, name: opts.driverName, endpoint: draSocket, supportedVersions: [...DRA_SERVICE_VERSIONS],
    })),
    NotifyRegistrationStatus: unary("NotifyRegistrationStatus", opts.log, async (req: RegistrationStatus) => {
      status = { pluginRegistered: req.pluginRegistered, error: req.error };
      if (req.pluginRegistered) opts.log.info(`registered with the kubelet as ${opts.driverName}`);
      else opts.log.error(`the kubelet refused registration: ${req.error}`);
      return {};
    }),
  } satisfies RegistrationHandlers);
  try {
    await bind(registration, registrationSocket);
  } catch (err) {
    dra.forceShutdown();
    rmSync(draSocket, { force: true });
    throw err;
  }
  opts.log.info(`DRA service on ${draSocket}, registration on ${registrationSocket}`);

  return {
    registrationSocket,
    draSocket,
    registrationStatus: () => status,
    async stop() {
      // Registration socket first: once it is gone the kubelet stops routing to us.
      for (const [server, socket] of [[registration, registrationSocket], [dra, draSocket]] as const) {
        await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
        rmSync(socket, { force: true });
      }
    },
  };
}
