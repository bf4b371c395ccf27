// The vfio-user event-loop worker as an entry point next to mock-accel-server.ts, so the
// compiled binary holds it at the same relative path as the source tree does.
import "../transports/vfio-user/worker.ts";
