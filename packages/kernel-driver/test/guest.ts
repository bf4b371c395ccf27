// Booting the module in a Debian guest: build mock_accel.ko for the installed headers, fetch
// the matching Debian kernel image, pack both (and the firmware) into a busybox initramfs.
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { bootGuest, buildInitramfs, fetchDebianKernel, parseSections, SECTION_FUNCTION, type BootOptions, type BootResult, type GuestFile } from "@mock-accel/vm-harness";
import { builtModule, FIRMWARE_NAME, FIRMWARE_PATH, MODULE_NAME } from "../src/index.ts";
import { headers } from "./requirements.ts";

export interface GuestRun extends BootResult {
  /** Output of each `section NAME` the script printed, by name. */
  sections: Record<string, string>;
}

/** Script helper: `section NAME` starts a named block of output. */
const PRELUDE = `${SECTION_FUNCTION}\n`;


export interface ModuleGuestOptions extends Omit<BootOptions, "kernel" | "initramfs" | "qemu"> {
  qemu: string;
  /** busybox sh run in the guest; /<MODULE_NAME>.ko and the firmware are in place. */
  script: string;
  files?: Record<string, GuestFile>;
}

/** Build the module, boot a guest with it and run `script`. */
export async function runModuleGuest(opts: ModuleGuestOptions): Promise<GuestRun> {
  if (!headers) throw new Error("no Debian kernel headers in /usr/src: apt-get install linux-headers-amd64");
  const [kernel, modulePath] = await Promise.all([fetchDebianKernel({ version: headers.version }), builtModule({ kdir: headers.kdir })]);
  let initramfs: string | null = null;
  try {
    initramfs = await buildInitramfs({
      files: {
        [`/${MODULE_NAME}.ko`]: modulePath,
        [`/lib/firmware/${FIRMWARE_NAME}`]: FIRMWARE_PATH,
        ...opts.files,
      },
      init: PRELUDE + opts.script,
    });
    const { script: _script, files: _files, ...boot } = opts;
    const r = await bootGuest({ ...boot, kernel: kernel.image, initramfs });
    return { ...r, sections: parseSections(r.scriptOutput) };
  } finally {
    if (initramfs) rmSync(dirname(initramfs), { recursive: true, force: true });
  }
}
