/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note OR MIT */
/*
 * mock-accel character device interface (/dev/mockN, /dev/mockN_vfI).
 *
 * read():  a human-readable summary of the device (name, UUID, memory, status, NUMA node,
 *          firmware version, wordlist state), one "key: value" per line.
 * ioctl(): the requests below. Bad arguments return -1 with errno EINVAL (out of range) or
 *          EFAULT (unreadable/unwritable pointer); no register is touched on error.
 *
 * Usable from userspace C (include <linux/ioctl.h> is pulled in here) and mirrored by
 * TypeScript users: MOCK_ACCEL_IOC_STATUS == 0x80044d01, MOCK_ACCEL_IOC_PASSPHRASE ==
 * 0xc1014d02 on x86-64 (sizeof(struct mock_accel_passphrase) == 257).
 */
#ifndef _UAPI_MOCK_ACCEL_H
#define _UAPI_MOCK_ACCEL_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define MOCK_ACCEL_IOC_MAGIC 'M'

/* Default and maximum word counts of MOCK_ACCEL_IOC_PASSPHRASE. */
#define MOCK_ACCEL_PASSPHRASE_DEFAULT_WORDS 6
#define MOCK_ACCEL_PASSPHRASE_MAX_WORDS 12
#define MOCK_ACCEL_PASSPHRASE_LEN 256

/*
 * In:  word_count, 0 meaning MOCK_ACCEL_PASSPHRASE_DEFAULT_WORDS, at most
 *      MOCK_ACCEL_PASSPHRASE_MAX_WORDS (else EINVAL).
 * Out: word_count = words used; passphrase = NUL-terminated words from the firmware wordlist
 *      (mock-accel-wordlist.txt), chosen by the driver with the kernel's cryptographic RNG and
 *      joined by '-'. Words never contain '-'. ENODATA when no wordlist is loaded.
 */
struct mock_accel_passphrase {
	__u8 word_count;
	char passphrase[MOCK_ACCEL_PASSPHRASE_LEN];
};

/* The STATUS register (bit 0: allocated). */
#define MOCK_ACCEL_IOC_STATUS _IOR(MOCK_ACCEL_IOC_MAGIC, 1, __u32)
#define MOCK_ACCEL_IOC_PASSPHRASE _IOWR(MOCK_ACCEL_IOC_MAGIC, 2, struct mock_accel_passphrase)

#endif /* _UAPI_MOCK_ACCEL_H */
