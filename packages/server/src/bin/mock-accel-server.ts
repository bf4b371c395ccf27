#!/usr/bin/env bun
// `mock-accel-server [options] <socket-path>`: the old C server's command line, as one file
// `bun build --compile` turns into a standalone executable (see package.json "build").
import { runServe } from "../serve/serve.ts";

// In the compiled binary the worker is a second entry point inside the executable, at the same
// path relative to this file as in the source tree; the host cannot work that out itself once
// its module is bundled into this one.
process.env.MOCK_ACCEL_VFIO_USER_WORKER ??= new URL("./vfio-user-worker.ts", import.meta.url).href;

const code = await runServe(Bun.argv.slice(2), "mock-accel-server");
// The event-loop worker is gone by now; exit explicitly so nothing else keeps the process up.
process.exit(code);
