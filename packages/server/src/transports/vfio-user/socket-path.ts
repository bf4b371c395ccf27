// Checks on a socket path before a device is bound there: the path must fit sun_path, its
// directory must exist, and an existing file is replaced only when it is a stale socket (one no
// server answers on). A regular file, a directory or a live server's socket is never removed.
import { existsSync, lstatSync, unlinkSync } from "node:fs";
import { connect } from "node:net";
import { dirname, resolve } from "node:path";

/** sizeof(sockaddr_un.sun_path) minus the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;

export class SocketPathError extends Error {
  constructor(readonly socketPath: string, why: string) {
    super(`${socketPath}: ${why}`);
    this.name = "SocketPathError";
  }
}

/** Resolve and vet `socketPath`; removes a stale socket left by a dead server. */
export async function prepareSocketPath(socketPath: string): Promise<string> {
  const path = resolve(socketPath);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw new SocketPathError(path, `longer than ${MAX_SOCKET_PATH_BYTES} bytes, the limit of a UNIX socket address; use a shorter path`);
  }
  if (!existsSync(dirname(path))) throw new SocketPathError(path, `directory ${dirname(path)} does not exist`);
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    return path;
  }
  if (!stat.isSocket()) throw new SocketPathError(path, "exists and is not a socket; refusing to replace it");
  if (await answers(path)) throw new SocketPathError(path, "another server is listening on this socket");
  unlinkSync(path);
  return path;
}

function answers(path: string): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ path });
    const finish = (live: boolean) => {
      socket.destroy();
      done(live);
    };
    socket.once("connect", () => finish(true));
    // Only "connection refused" proves nobody is there; a full backlog (EAGAIN) or a slow
    // answer is a busy server, whose socket must not be pulled from under it.
    socket.once("error", (err: NodeJS.ErrnoException) => finish(err.code !== "ECONNREFUSED"));
    socket.setTimeout(1000, () => finish(true));
  });
}
