/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note OR MIT */
/*
 * The ioctls of /dev/mockN as userspace calls them, shared by the static guest programs built
 * against the uapi header (tools/mock-accel-ioctl.c, packages/e2e/guest/mock-accel-e2e.c):
 * open a device node, read STATUS, ask for a passphrase, and name an errno as tests expect.
 */
#ifndef MOCK_ACCEL_USER_H
#define MOCK_ACCEL_USER_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "../include/uapi/mock_accel.h"

/* The errno names the driver's ioctls answer with ("OK" for 0); strerror's text otherwise. */
static inline const char *mock_accel_errname(int e)
{
	switch (e) {
	case 0: return "OK";
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case ENOTTY: return "ENOTTY";
	case ENODATA: return "ENODATA";
	case ENODEV: return "ENODEV";
	default: return strerror(e);
	}
}

/* open(2), or say why on stderr and exit with `exit_status`. */
static inline int mock_accel_open(const char *path, int flags, int exit_status)
{
	int fd = open(path, flags);

	if (fd < 0) {
		fprintf(stderr, "open %s: %s\n", path, strerror(errno));
		exit(exit_status);
	}
	return fd;
}

/* MOCK_ACCEL_IOC_STATUS: 0 with *status filled, or the errno. */
static inline int mock_accel_status(int fd, __u32 *status)
{
	return ioctl(fd, MOCK_ACCEL_IOC_STATUS, status) == 0 ? 0 : errno;
}

/*
 * MOCK_ACCEL_IOC_PASSPHRASE for `words` words (0: the device's current length): 0 with *p
 * filled and its passphrase NUL-terminated, or the errno.
 */
static inline int mock_accel_passphrase(int fd, __u32 words, struct mock_accel_passphrase *p)
{
	memset(p, 0, sizeof(*p));
	p->word_count = words;
	if (ioctl(fd, MOCK_ACCEL_IOC_PASSPHRASE, p) != 0)
		return errno;
	p->passphrase[MOCK_ACCEL_PASSPHRASE_LEN - 1] = '\0';
	return 0;
}

#endif /* MOCK_ACCEL_USER_H */
