// Where downloads and builds are cached between runs (kernel images, QEMU prefix, initramfs
// staging): $MOCK_ACCEL_CACHE, else $XDG_CACHE_HOME/mock-accel, else ~/.cache/mock-accel.
// The same rule as scripts/install-qemu-vfio-user.sh.
import { homedir } from "node:os";
import { join } from "node:path";

export function cacheDir(): string {
  const explicit = process.env.MOCK_ACCEL_CACHE;
  if (explicit) return explicit;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "mock-accel");
}
