// What the server's tests need from the machine, as testkit requirements: one place that asks
// whether libvfio-user loads (the library path logic's own answer, libvfioUserInstalled) and
// names the command that installs it.
import { requirement, type Requirement } from "@mock-accel/testkit";
import { INSTALL_COMMAND } from "../src/transports/vfio-user/library-path.ts";
import { libvfioUserInstalled } from "../src/transports/vfio-user/libvfio-user.ts";

export const libvfioUser: Requirement = requirement("libvfio-user", libvfioUserInstalled(), INSTALL_COMMAND);
