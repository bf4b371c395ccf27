// Constants and struct layouts the binding depends on, copied from libvfio-user.h, pci_defs.h
// and the Linux/glibc headers (x86-64). test/vfio-user-abi.test.ts compiles a C program against
// the installed headers that prints each of these and fails on any difference, so a libvfio-user
// whose ABI moved is caught before a callback reads the wrong argument.

/** libvfio-user.h */
export const LIBVFIO_USER = {
  LIBVFIO_USER_FLAG_ATTACH_NB: 1,
  VFU_TRANS_SOCK: 0,
  VFU_DEV_TYPE_PCI: 0,
  VFU_PCI_TYPE_EXPRESS: 3,
  PCI_HEADER_TYPE_NORMAL: 0,
  VFU_PCI_DEV_BAR0_REGION_IDX: 0,
  VFU_PCI_DEV_CFG_REGION_IDX: 7,
  VFU_PCI_DEV_NUM_REGIONS: 10,
  VFU_REGION_FLAG_READ: 1,
  VFU_REGION_FLAG_WRITE: 2,
  VFU_REGION_FLAG_RW: 3,
  VFU_REGION_FLAG_MEM: 4,
  VFU_RESET_DEVICE: 0,
  VFU_RESET_LOST_CONN: 1,
  VFU_RESET_PCI_FLR: 2,
  /** sizeof(vfu_pci_hdr_t): the part of config space libvfio-user answers itself. */
  PCI_STD_HEADER_SIZEOF: 64,
  PCI_CFG_SPACE_EXP_SIZE: 4096,
} as const;

/** <syslog.h> levels passed to vfu_setup_log and received by the log callback. */
export const LOG = { LOG_ERR: 3, LOG_WARNING: 4, LOG_INFO: 6, LOG_DEBUG: 7 } as const;

/** <sys/epoll.h>, <sys/eventfd.h>, <sys/socket.h>, <fcntl.h>, <errno.h>, <time.h> */
export const LIBC = {
  EPOLL_CLOEXEC: 0o2000000,
  EPOLL_CTL_ADD: 1,
  EPOLL_CTL_DEL: 2,
  EPOLL_CTL_MOD: 3,
  EPOLLIN: 1,
  EPOLLERR: 8,
  EPOLLHUP: 0x10,
  EPOLLRDHUP: 0x2000,
  EPOLLET: 0x80000000,
  FIONREAD: 0x541b,
  EFD_CLOEXEC: 0o2000000,
  EFD_NONBLOCK: 0o4000,
  SOL_SOCKET: 1,
  SO_RCVTIMEO: 20,
  SO_SNDTIMEO: 21,
  EINTR: 4,
  EBADF: 9,
  EAGAIN: 11,
  EBUSY: 16,
  ENOENT: 2,
  ENOTCONN: 107,
  EPIPE: 32,
  ECONNRESET: 104,
  AF_UNIX: 1,
  SOCK_STREAM: 1,
  SOCK_NONBLOCK: 0o4000,
  SOCK_CLOEXEC: 0o2000000,
  MSG_PEEK: 2,
  MSG_DONTWAIT: 0x40,
  MSG_NOSIGNAL: 0x4000,
  SHUT_RDWR: 2,
  F_GETFL: 3,
  F_SETFL: 4,
  O_NONBLOCK: 0o4000,
  O_CLOEXEC: 0o2000000,
  O_PATH: 0o10000000,
  CLOCK_THREAD_CPUTIME_ID: 3,
  RUSAGE_THREAD: 1,
} as const;


/** Struct layouts: sizes and field offsets in bytes. */
export const LAYOUT = {
  /** struct epoll_event is packed on x86-64: u32 events, then the u64 data union. */
  epoll_event: { size: 12, events: 0, data: 4 },
  timeval: { size: 16, tv_sec: 0, tv_usec: 8 },
  timespec: { size: 16, tv_sec: 0, tv_nsec: 8 },
  /** struct rusage: two timevals, then 14 longs; the last two count context switches. */
  rusage: { size: 144, ru_nvcsw: 128, ru_nivcsw: 136 },
  /** struct sockaddr_un: sa_family_t, then a 108-byte path. */
  sockaddr_un: { size: 110, sun_family: 0, sun_path: 2 },
  /** The callback argument types: size_t count, loff_t offset, bool is_write, ssize_t return. */
  size_t: 8,
  loff_t: 8,
  ssize_t: 8,
  bool: 1,
  int: 4,
} as const;
