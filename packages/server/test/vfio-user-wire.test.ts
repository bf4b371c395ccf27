// The client's wire tables (vfio-user-protocol.ts) against the installed vfio-user.h,
// libvfio-user.h and linux/vfio.h: a C program prints each struct offset, size, flag and
// command number, so a layout typed wrong (or a table entry with no C counterpart) fails here.
import { describe, expect, it } from "vitest";
import { assertAvailable } from "@mock-accel/testkit";
import * as P from "../src/client/vfio-user-protocol.ts";
import { cValues, gcc, libvfioUserHeaders as headers, libvfioUserIncludeDir } from "./c-constants.ts";

/** Each protocol constant as a C expression (flag_word: the header flags word with those bitfields set). */
const C: Record<string, string> = {
  "HEADER.MSG_ID": "offsetof(struct vfio_user_header, msg_id)",
  "HEADER.COMMAND": "offsetof(struct vfio_user_header, cmd)",
  "HEADER.SIZE": "offsetof(struct vfio_user_header, msg_size)",
  "HEADER.FLAGS": "offsetof(struct vfio_user_header, flags)",
  "HEADER.ERROR_NO": "offsetof(struct vfio_user_header, error_no)",
  HEADER_BYTES: "sizeof(struct vfio_user_header)",
  FLAG_TYPE_MASK: "flag_word(0xf, 0, 0)",
  FLAG_TYPE_COMMAND: "VFIO_USER_F_TYPE_COMMAND",
  FLAG_TYPE_REPLY: "VFIO_USER_F_TYPE_REPLY",
  FLAG_NO_REPLY: "flag_word(0, 1, 0)",
  FLAG_ERROR: "flag_word(0, 0, 1)",
  "VERSION.MAJOR": "offsetof(struct vfio_user_version, major)",
  "VERSION.MINOR": "offsetof(struct vfio_user_version, minor)",
  "VERSION.DATA": "offsetof(struct vfio_user_version, data)",
  "CLIENT_VERSION.major": "LIB_VFIO_USER_MAJOR",
  "CLIENT_VERSION.minor": "LIB_VFIO_USER_MINOR",
  "DEVICE_INFO.ARGSZ": "offsetof(struct vfio_user_device_info, argsz)",
  "DEVICE_INFO.FLAGS": "offsetof(struct vfio_user_device_info, flags)",
  "DEVICE_INFO.NUM_REGIONS": "offsetof(struct vfio_user_device_info, num_regions)",
  "DEVICE_INFO.NUM_IRQS": "offsetof(struct vfio_user_device_info, num_irqs)",
  DEVICE_INFO_BYTES: "sizeof(struct vfio_user_device_info)",
  "DEVICE_FLAGS.RESET": "VFIO_DEVICE_FLAGS_RESET",
  "DEVICE_FLAGS.PCI": "VFIO_DEVICE_FLAGS_PCI",
  "REGION_INFO.ARGSZ": "offsetof(struct vfio_region_info, argsz)",
  "REGION_INFO.FLAGS": "offsetof(struct vfio_region_info, flags)",
  "REGION_INFO.INDEX": "offsetof(struct vfio_region_info, index)",
  "REGION_INFO.CAP_OFFSET": "offsetof(struct vfio_region_info, cap_offset)",
  "REGION_INFO.SIZE": "offsetof(struct vfio_region_info, size)",
  "REGION_INFO.OFFSET": "offsetof(struct vfio_region_info, offset)",
  REGION_INFO_BYTES: "sizeof(struct vfio_region_info)",
  "REGION_FLAGS.READ": "VFIO_REGION_INFO_FLAG_READ",
  "REGION_FLAGS.WRITE": "VFIO_REGION_INFO_FLAG_WRITE",
  "REGION_FLAGS.MMAP": "VFIO_REGION_INFO_FLAG_MMAP",
  "REGION_FLAGS.CAPS": "VFIO_REGION_INFO_FLAG_CAPS",
  "REGION_ACCESS.OFFSET": "offsetof(struct vfio_user_region_access, offset)",
  "REGION_ACCESS.REGION": "offsetof(struct vfio_user_region_access, region)",
  "REGION_ACCESS.COUNT": "offsetof(struct vfio_user_region_access, count)",
  REGION_ACCESS_BYTES: "offsetof(struct vfio_user_region_access, data)",
  MIGRATION_REGION: "VFU_PCI_DEV_MIGR_REGION_IDX",
  ...Object.fromEntries(Object.keys(P.VfioUserCommand).map((k) => [`VfioUserCommand.${k}`, `VFIO_USER_${k}`])),
  ...Object.fromEntries(
    Object.keys(P.PCI_REGION).map((k) => [`PCI_REGION.${k}`, k === "CONFIG" ? "VFIO_PCI_CONFIG_REGION_INDEX" : `VFIO_PCI_${k}_REGION_INDEX`]),
  ),
};

/** Every numeric constant the module exports, by dotted name. */
function ours(): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, value] of Object.entries(P)) {
    if (typeof value === "number") out.set(name, value);
    else if (value && typeof value === "object" && name !== "COMMAND_NAMES" && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) if (typeof v === "number") out.set(`${name}.${k}`, v);
    }
  }
  return out;
}

/** The header's flags word with the given bitfields set, as it travels. */
const FLAG_WORD = `
static long long flag_word(unsigned type, unsigned no_reply, unsigned error) {
  struct vfio_user_header h;
  uint32_t w;
  memset(&h, 0, sizeof h);
  h.flags.type = type;
  h.flags.no_reply = no_reply;
  h.flags.error = error;
  memcpy(&w, (char *)&h + offsetof(struct vfio_user_header, flags), sizeof w);
  return w;
}`;

describe("vfio-user wire tables", () => {
  it("every constant has a C counterpart", () => {
    expect([...ours().keys()].filter((k) => !(k in C))).toEqual([]);
    expect(Object.keys(C).filter((k) => !ours().has(k))).toEqual([]);
  });

  it.skipIf(headers.skip || gcc.skip)("match vfio-user.h, libvfio-user.h and linux/vfio.h", () => {
    assertAvailable(headers);
    assertAvailable(gcc);
    const fromC = cValues({ includes: ["vfio-user/libvfio-user.h", "vfio-user/vfio-user.h"], includeDirs: [libvfioUserIncludeDir!], prelude: FLAG_WORD, values: C });
    expect(Object.fromEntries(ours())).toEqual(fromC);
  });
});
