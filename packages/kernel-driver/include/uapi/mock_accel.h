/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note OR MIT */
/*
 * mock-accel character device interface (/dev/mockN, /dev/mockN_vfI).
 *
 * read():  a human-readable summary of the device (name, UUID, memory, status, NUMA node,
 *          firmware version, wordlist state), one "key: value" per line.
 * ioctl(): the requests below. Bad arguments return -1 with errno EINVAL (out of range, or a
 *          non-zero flags/reserved field) or EFAULT (unreadable/unwritable pointer); no
 *          register is touched on error.
 *
 * Usable from userspace C (include <linux/ioctl.h> is pulled in here) and mirrored by
 * TypeScript users: MOCK_ACCEL_IOC_STATUS == 0x8004d701, MOCK_ACCEL_IOC_PASSPHRASE ==
 * 0xc120d702 on x86-64 (sizeof(struct mock_accel_passphrase) == 288).
 */
#ifndef _UAPI_MOCK_ACCEL_H
#define _UAPI_MOCK_ACCEL_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * Version 2: ioctl magic 0xD7 (version 1's 'M' is taken by soundcard.h, mtd-abi.h, megaraid_sas.h
 * and fsl-diu-fb.h in the kernel's Documentation/userspace-api/ioctl/ioctl-number.rst, which
 * lists no user of 0xD7), and a passphrase request with flags and reserved space.
 */
#define MOCK_ACCEL_UAPI_VERSION 2

#define MOCK_ACCEL_IOC_MAGIC 0xD7

/* Default and maximum word counts of MOCK_ACCEL_IOC_PASSPHRASE. */
#define MOCK_ACCEL_PASSPHRASE_DEFAULT_WORDS 6
#define MOCK_ACCEL_PASSPHRASE_MAX_WORDS 12
#define MOCK_ACCEL_PASSPHRASE_LEN 256

/*
 * In:  word_count, 0 meaning MOCK_ACCEL_PASSPHRASE_DEFAULT_WORDS, at most
 *      MOCK_ACCEL_PASSPHRASE_MAX_WORDS (else EINVAL); flags and reserved all 0 (else EINVAL,
 *      so that later versions can give them a meaning old drivers refuse).
 * Out: word_count = words used; passphrase = NUL-terminated words from the firmware wordlist
 *      (mock-accel-wordlist.txt), chosen by the driver with the kernel's cryptographic RNG and
 *      joined by '-'. Words never contain '-'. ENODATA when no wordlist is loaded.
 * Every field is naturally aligned and the size is a multiple of 8: no implicit padding, and
 * the same layout for 32- and 64-bit callers.
 */
struct mock_accel_passphrase {
	__u32 word_count;
	__u32 flags;
	__u64 reserved[3];
	char passphrase[MOCK_ACCEL_PASSPHRASE_LEN];
};

/* The STATUS register (bit 0: allocated). */
#define MOCK_ACCEL_IOC_STATUS _IOR(MOCK_ACCEL_IOC_MAGIC, 1, __u32)
#define MOCK_ACCEL_IOC_PASSPHRASE _IOWR(MOCK_ACCEL_IOC_MAGIC, 2, struct mock_accel_passphrase)

#endif /* _UAPI_MOCK_ACCEL_H */
