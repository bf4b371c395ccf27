// A device's UNIX socket, for both transports: checks on its path before a device is bound there
// (the path must fit sun_path, its directory must exist, and an existing file is replaced only
// when it is a stale socket no server answers on; a regular file, a directory or a live server's
// socket is never removed), its file mode, its sockaddr_un for the FFI callers, and its removal.
import { existsSync, lstatSync, unlinkSync } from "node:fs";
import { connect } from "node:net";
import { dirname, resolve } from "node:path";
import { LAYOUT, LIBC } from "./vfio-user/abi.ts";

/** sizeof(sockaddr_un.sun_path) minus the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = LAYOUT.sockaddr_un.size - LAYOUT.sockaddr_un.sun_path - 1;

/** Only the owner (e.g. the user running QEMU) may connect unless the caller says otherwise. */
export const DEFAULT_SOCKET_MODE = 0o600;
/** The permission bits a socket mode may have. */
const PERMISSION_BITS = 0o777;

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

/** The mode to give the socket at `socketPath`: `mode` checked, or the default. */
export function socketMode(socketPath: string, mode: number = DEFAULT_SOCKET_MODE): number {
  if (!Number.isInteger(mode) || mode < 0 || mode > PERMISSION_BITS) throw new SocketPathError(socketPath, `socket mode ${String(mode)} is not 0..0o777`);
  return mode;
}

/** The umask under which bind() creates a socket file with exactly `mode` from its first instant. */
export function umaskFor(mode: number): number {
  return PERMISSION_BITS & ~mode;
}

/** A sockaddr_un naming `path`, ArrayBuffer-backed (its address never moves) for FFI calls. */
export function unixSocketAddress(path: string): Uint8Array {
  const bytes = Buffer.from(path, "utf8");
  if (bytes.length > MAX_SOCKET_PATH_BYTES) throw new SocketPathError(path, `${bytes.length} bytes; a UNIX socket address holds at most ${MAX_SOCKET_PATH_BYTES}`);
  const addr = new Uint8Array(new ArrayBuffer(LAYOUT.sockaddr_un.size));
  new DataView(addr.buffer).setUint16(LAYOUT.sockaddr_un.sun_family, LIBC.AF_UNIX, true);
  addr.set(bytes, LAYOUT.sockaddr_un.sun_path);
  return addr;
}

/** Remove a socket file this process bound; one already gone is fine. */
export function removeSocketFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
