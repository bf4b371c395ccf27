// Where device sockets live unless --run-dir says otherwise: the user's runtime dir when the
// system gives one (private, cleaned at logout), else a per-user folder under /tmp.
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";

export function defaultRunDir(): string {
  const xdg = process.env.XDG_RUNTIME_DIR;
  return xdg ? join(xdg, "mock-accel") : join(tmpdir(), `mock-accel-${userInfo().uid}`);
}
