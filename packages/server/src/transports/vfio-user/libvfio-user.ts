// The bun:ffi binding: exactly the libvfio-user functions the server calls, and the callback
// signatures it hands to the library. Types follow libvfio-user.h; abi.ts holds the constants.
import { dlopen, FFIType, JSCallback, type Pointer } from "bun:ffi";
import { findLibvfioUserInstallation, openFirst, type LibvfioUserInstallation } from "./library-path.ts";

const symbols = {
  // vfu_ctx_t *vfu_create_ctx(vfu_trans_t, const char *path, int flags, void *pvt, vfu_dev_type_t)
  vfu_create_ctx: { args: [FFIType.i32, FFIType.ptr, FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.ptr },
  // int vfu_setup_log(vfu_ctx_t *, vfu_log_fn_t *, int level)
  vfu_setup_log: { args: [FFIType.ptr, FFIType.function, FFIType.i32], returns: FFIType.i32 },
  // int vfu_pci_init(vfu_ctx_t *, vfu_pci_type_t, int hdr_type, int revision)
  vfu_pci_init: { args: [FFIType.ptr, FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  // void vfu_pci_set_id(vfu_ctx_t *, u16 vid, u16 did, u16 ssvid, u16 ssid)
  vfu_pci_set_id: { args: [FFIType.ptr, FFIType.u16, FFIType.u16, FFIType.u16, FFIType.u16], returns: FFIType.void },
  // void vfu_pci_set_class(vfu_ctx_t *, u8 base, u8 sub, u8 pi)
  vfu_pci_set_class: { args: [FFIType.ptr, FFIType.u8, FFIType.u8, FFIType.u8], returns: FFIType.void },
  // vfu_pci_config_space_t *vfu_pci_get_config_space(vfu_ctx_t *)
  vfu_pci_get_config_space: { args: [FFIType.ptr], returns: FFIType.ptr },
  // int vfu_setup_region(vfu_ctx_t *, int idx, size_t size, vfu_region_access_cb_t *, int flags,
  //                      struct iovec *mmap_areas, uint32_t nr, int fd, uint64_t offset)
  vfu_setup_region: {
    args: [FFIType.ptr, FFIType.i32, FFIType.u64, FFIType.function, FFIType.i32, FFIType.ptr, FFIType.u32, FFIType.i32, FFIType.u64],
    returns: FFIType.i32,
  },
  // int vfu_setup_device_reset_cb(vfu_ctx_t *, vfu_reset_cb_t *)
  vfu_setup_device_reset_cb: { args: [FFIType.ptr, FFIType.function], returns: FFIType.i32 },
  vfu_realize_ctx: { args: [FFIType.ptr], returns: FFIType.i32 },
  vfu_attach_ctx: { args: [FFIType.ptr], returns: FFIType.i32 },
  vfu_run_ctx: { args: [FFIType.ptr], returns: FFIType.i32 },
  vfu_get_poll_fd: { args: [FFIType.ptr], returns: FFIType.i32 },
  vfu_destroy_ctx: { args: [FFIType.ptr], returns: FFIType.void },
} as const;

export type LibvfioUser = ReturnType<typeof dlopen<typeof symbols>>["symbols"];

let opened: { lib: LibvfioUser; path: string } | undefined;

/** Open libvfio-user once per thread (LIBVFIO_USER_PATH, the install prefix, the system path). */
export function openLibvfioUser(env: NodeJS.ProcessEnv = process.env): { lib: LibvfioUser; path: string } {
  if (!opened) {
    const { value, path } = openFirst((p) => dlopen(p, symbols).symbols, env);
    opened = { lib: value, path };
  }
  return opened;
}

/** void log(vfu_ctx_t *, int level, const char *msg) */
export function logCallback(fn: (ctx: Pointer, level: number, message: string) => void): JSCallback {
  return new JSCallback((ctx: Pointer, level: number, msg: unknown) => fn(ctx, level, String(msg)), {
    args: [FFIType.ptr, FFIType.i32, FFIType.cstring],
    returns: FFIType.void,
  });
}

/** ssize_t access(vfu_ctx_t *, char *buf, size_t count, loff_t offset, bool is_write) */
export function regionAccessCallback(
  fn: (ctx: Pointer, buf: Pointer, count: number, offset: number, isWrite: boolean) => number,
): JSCallback {
  return new JSCallback(
    (ctx: Pointer, buf: Pointer, count: number | bigint, offset: number | bigint, isWrite: boolean) =>
      fn(ctx, buf, Number(count), Number(offset), isWrite),
    { args: [FFIType.ptr, FFIType.ptr, FFIType.u64_fast, FFIType.i64_fast, FFIType.bool], returns: FFIType.i64 },
  );
}

/** int reset(vfu_ctx_t *, vfu_reset_type_t type) */
export function resetCallback(fn: (ctx: Pointer, type: number) => number): JSCallback {
  return new JSCallback(fn, { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 });
}

/** The installed library, its headers and its C sample (see library-path.ts). */
export function findInstallation(env: NodeJS.ProcessEnv = process.env): LibvfioUserInstallation {
  return findLibvfioUserInstallation((p) => dlopen(p, symbols).close(), env);
}

/** True when libvfio-user can be loaded (what tests and `doctor` ask before using it). */
export function libvfioUserInstalled(env: NodeJS.ProcessEnv = process.env): boolean {
  try {
    findInstallation(env);
    return true;
  } catch {
    return false;
  }
}
