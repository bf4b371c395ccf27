// The binding's constants and struct layouts against the installed headers: a C program compiled
// against libvfio-user.h (and the libc headers) prints every value abi.ts holds.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assertAvailable, requirement } from "@mock-accel/testkit";
import { LAYOUT, LIBC, LIBVFIO_USER, LOG } from "../src/transports/vfio-user/abi.ts";
import { INSTALL_COMMAND } from "../src/transports/vfio-user/library-path.ts";
import { findInstallation } from "../src/transports/vfio-user/libvfio-user.ts";

function installation() {
  try {
    return findInstallation();
  } catch {
    return null;
  }
}
const found = installation();
const headers = requirement("libvfio-user headers", found?.includeDir != null, INSTALL_COMMAND);
const gcc = requirement("gcc", spawnSync("cc", ["--version"]).status === 0, "apt-get install gcc");

const program = `
#include <stdio.h>
#include <stddef.h>
#include <stdbool.h>
#include <errno.h>
#include <syslog.h>
#include <fcntl.h>
#include <sys/un.h>
#include <sys/ioctl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <vfio-user/libvfio-user.h>
#define P(name, value) printf("%s %lld\\n", name, (long long)(value))
int main(void) {
  P("LIBVFIO_USER.LIBVFIO_USER_FLAG_ATTACH_NB", LIBVFIO_USER_FLAG_ATTACH_NB);
  P("LIBVFIO_USER.VFU_TRANS_SOCK", VFU_TRANS_SOCK);
  P("LIBVFIO_USER.VFU_DEV_TYPE_PCI", VFU_DEV_TYPE_PCI);
  P("LIBVFIO_USER.VFU_PCI_TYPE_EXPRESS", VFU_PCI_TYPE_EXPRESS);
  P("LIBVFIO_USER.PCI_HEADER_TYPE_NORMAL", PCI_HEADER_TYPE_NORMAL);
  P("LIBVFIO_USER.VFU_PCI_DEV_BAR0_REGION_IDX", VFU_PCI_DEV_BAR0_REGION_IDX);
  P("LIBVFIO_USER.VFU_PCI_DEV_CFG_REGION_IDX", VFU_PCI_DEV_CFG_REGION_IDX);
  P("LIBVFIO_USER.VFU_PCI_DEV_NUM_REGIONS", VFU_PCI_DEV_NUM_REGIONS);
  P("LIBVFIO_USER.VFU_REGION_FLAG_READ", VFU_REGION_FLAG_READ);
  P("LIBVFIO_USER.VFU_REGION_FLAG_WRITE", VFU_REGION_FLAG_WRITE);
  P("LIBVFIO_USER.VFU_REGION_FLAG_RW", VFU_REGION_FLAG_RW);
  P("LIBVFIO_USER.VFU_REGION_FLAG_MEM", VFU_REGION_FLAG_MEM);
  P("LIBVFIO_USER.VFU_RESET_DEVICE", VFU_RESET_DEVICE);
  P("LIBVFIO_USER.VFU_RESET_LOST_CONN", VFU_RESET_LOST_CONN);
  P("LIBVFIO_USER.VFU_RESET_PCI_FLR", VFU_RESET_PCI_FLR);
  P("LIBVFIO_USER.PCI_STD_HEADER_SIZEOF", sizeof(vfu_pci_hdr_t));
  P("LIBVFIO_USER.PCI_CFG_SPACE_EXP_SIZE", PCI_CFG_SPACE_EXP_SIZE);
  P("LOG.LOG_ERR", LOG_ERR);
  P("LOG.LOG_WARNING", LOG_WARNING);
  P("LOG.LOG_INFO", LOG_INFO);
  P("LOG.LOG_DEBUG", LOG_DEBUG);
  P("LIBC.EPOLL_CLOEXEC", EPOLL_CLOEXEC);
  P("LIBC.EPOLL_CTL_ADD", EPOLL_CTL_ADD);
  P("LIBC.EPOLL_CTL_DEL", EPOLL_CTL_DEL);
  P("LIBC.EPOLLIN", EPOLLIN);
  P("LIBC.EFD_CLOEXEC", EFD_CLOEXEC);
  P("LIBC.EFD_NONBLOCK", EFD_NONBLOCK);
  P("LIBC.SOL_SOCKET", SOL_SOCKET);
  P("LIBC.SO_RCVTIMEO", SO_RCVTIMEO);
  P("LIBC.SO_SNDTIMEO", SO_SNDTIMEO);
  P("LIBC.EINTR", EINTR);
  P("LIBC.EBADF", EBADF);
  P("LIBC.EAGAIN", EAGAIN);
  P("LIBC.EBUSY", EBUSY);
  P("LIBC.ENOENT", ENOENT);
  P("LIBC.ENOTCONN", ENOTCONN);
  P("LIBC.EPIPE", EPIPE);
  P("LIBC.CLOCK_THREAD_CPUTIME_ID", CLOCK_THREAD_CPUTIME_ID);
  P("LIBC.RUSAGE_THREAD", RUSAGE_THREAD);
  P("LIBC.ECONNRESET", ECONNRESET);
  P("LIBC.EPOLL_CTL_MOD", EPOLL_CTL_MOD);
  P("LIBC.EPOLLERR", EPOLLERR);
  P("LIBC.EPOLLHUP", EPOLLHUP);
  P("LIBC.EPOLLRDHUP", EPOLLRDHUP);
  P("LIBC.EPOLLET", (unsigned)EPOLLET);
  P("LIBC.FIONREAD", FIONREAD);
  P("LIBC.AF_UNIX", AF_UNIX);
  P("LIBC.SOCK_STREAM", SOCK_STREAM);
  P("LIBC.SOCK_NONBLOCK", SOCK_NONBLOCK);
  P("LIBC.SOCK_CLOEXEC", SOCK_CLOEXEC);
  P("LIBC.MSG_PEEK", MSG_PEEK);
  P("LIBC.MSG_DONTWAIT", MSG_DONTWAIT);
  P("LIBC.MSG_NOSIGNAL", MSG_NOSIGNAL);
  P("LIBC.SHUT_RDWR", SHUT_RDWR);
  P("LIBC.F_GETFL", F_GETFL);
  P("LIBC.F_SETFL", F_SETFL);
  P("LIBC.O_NONBLOCK", O_NONBLOCK);
  P("LIBC.O_CLOEXEC", O_CLOEXEC);
  P("LIBC.O_PATH", O_PATH);
  P("LAYOUT.sockaddr_un.size", sizeof(struct sockaddr_un));
  P("LAYOUT.sockaddr_un.sun_family", offsetof(struct sockaddr_un, sun_family));
  P("LAYOUT.sockaddr_un.sun_path", offsetof(struct sockaddr_un, sun_path));
  P("LAYOUT.epoll_event.size", sizeof(struct epoll_event));
  P("LAYOUT.epoll_event.events", offsetof(struct epoll_event, events));
  P("LAYOUT.epoll_event.data", offsetof(struct epoll_event, data));
  P("LAYOUT.timeval.size", sizeof(struct timeval));
  P("LAYOUT.timeval.tv_sec", offsetof(struct timeval, tv_sec));
  P("LAYOUT.timeval.tv_usec", offsetof(struct timeval, tv_usec));
  P("LAYOUT.timespec.size", sizeof(struct timespec));
  P("LAYOUT.timespec.tv_sec", offsetof(struct timespec, tv_sec));
  P("LAYOUT.timespec.tv_nsec", offsetof(struct timespec, tv_nsec));
  P("LAYOUT.rusage.size", sizeof(struct rusage));
  P("LAYOUT.rusage.ru_nvcsw", offsetof(struct rusage, ru_nvcsw));
  P("LAYOUT.rusage.ru_nivcsw", offsetof(struct rusage, ru_nivcsw));
  P("LAYOUT.size_t", sizeof(size_t));
  P("LAYOUT.loff_t", sizeof(loff_t));
  P("LAYOUT.ssize_t", sizeof(ssize_t));
  P("LAYOUT.bool", sizeof(bool));
  P("LAYOUT.int", sizeof(int));
  /* The callback and function types the binding declares; a changed prototype fails to compile. */
  vfu_region_access_cb_t *region_cb = (ssize_t (*)(vfu_ctx_t *, char *, size_t, loff_t, bool))0;
  vfu_reset_cb_t *reset_cb = (int (*)(vfu_ctx_t *, vfu_reset_type_t))0;
  vfu_log_fn_t *log_cb = (void (*)(vfu_ctx_t *, int, const char *))0;
  (void)region_cb; (void)reset_cb; (void)log_cb;
  return 0;
}
`;

/** Every leaf of the binding's constant tables, by dotted name. */
function flatten(prefix: string, value: unknown, out: Map<string, number>): void {
  if (typeof value === "number") out.set(prefix, value);
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) flatten(`${prefix}.${k}`, v, out);
}

describe("libvfio-user binding ABI", () => {
  it.skipIf(headers.skip || gcc.skip)("matches libvfio-user.h and the libc headers: every constant, size and offset", () => {
    assertAvailable(headers);
    assertAvailable(gcc);
    if (!found?.includeDir) throw new Error(headers.reason);
    const dir = mkdtempSync(join(tmpdir(), "vfio-user-abi-"));
    try {
      writeFileSync(join(dir, "abi.c"), program);
      const cc = spawnSync("cc", ["-D_GNU_SOURCE", "-Wall", "-Werror", "-I", found.includeDir, "-o", join(dir, "abi"), join(dir, "abi.c")], { encoding: "utf8" });
      expect(cc.stderr, "the ABI program compiles against the installed header").toBe("");
      expect(cc.status).toBe(0);
      const run = spawnSync(join(dir, "abi"), { encoding: "utf8" });
      expect(run.status).toBe(0);
      const fromC = new Map(run.stdout.trim().split("\n").map((line) => {
        const [name, value] = line.split(" ");
        return [name!, Number(value)] as const;
      }));
      const fromBinding = new Map<string, number>();
      flatten("LIBVFIO_USER", LIBVFIO_USER, fromBinding);
      flatten("LOG", LOG, fromBinding);
      flatten("LIBC", LIBC, fromBinding);
      flatten("LAYOUT", LAYOUT, fromBinding);
      // Both directions: nothing in the binding goes unchecked, nothing checked is missing.
      expect([...fromBinding.keys()].sort()).toEqual([...fromC.keys()].sort());
      expect(Object.fromEntries(fromBinding)).toEqual(Object.fromEntries(fromC));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
