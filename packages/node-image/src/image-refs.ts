// The names the node's container runtime knows the project's images by. Nothing is pulled: each
// node imports these from files at boot, so pods must name them exactly (with a pull policy
// that never pulls: IfNotPresent with a tag other than "latest", or Never).
export const IMAGE_REFS = {
  /** The pod sandbox, built from upstream's build/pause/linux/pause.c. */
  pause: "localhost/mock-accel/pause:3.10",
  /** A static busybox for example workloads. */
  workload: "localhost/mock-accel/busybox:1",
  /** The DRA driver's node agent (the Helm chart's default image). */
  driver: "localhost/mock-accel/dra-driver:latest",
} as const;

export type ImageName = keyof typeof IMAGE_REFS;
