/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-ins for the few kernel APIs the generated sysfs code uses, so the round
 * trip test (packages/codegen/test/roundtrip-sysfs.test.ts) can run the real show/store
 * functions as a normal program. Deliberately small: only 32-bit MMIO accessors exist, so
 * generated code that tried a byte or 64-bit access would not compile here.
 */
#ifndef KERNEL_SHIM_H
#define KERNEL_SHIM_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the shim assumes a little-endian host");

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef unsigned long long u64;
typedef int32_t s32;
typedef long long s64;
typedef uint32_t __le32;
typedef unsigned short umode_t;

#define __iomem
#define __force
#define __printf(a, b) __attribute__((format(printf, a, b)))

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define cpu_to_le32(x) ((__le32)(x))
#define lower_32_bits(n) ((u32)((n) & 0xffffffffULL))
#define upper_32_bits(n) ((u32)(((u64)(n)) >> 32))
#define PAGE_SIZE 4096

struct kobject {
	int unused;
};

struct device {
	struct kobject kobj;
};

#define kobj_to_dev(k) container_of(k, struct device, kobj)

struct attribute {
	const char *name;
	umode_t mode;
};

struct device_attribute {
	struct attribute attr;
	ssize_t (*show)(struct device *dev, struct device_attribute *attr, char *buf);
	ssize_t (*store)(struct device *dev, struct device_attribute *attr, const char *buf, size_t count);
};

#define __ATTR(_name, _mode, _show, _store) \
	{ .attr = { .name = #_name, .mode = (_mode) }, .show = (_show), .store = (_store) }

struct attribute_group {
	const char *name;
	umode_t (*is_visible)(struct kobject *kobj, struct attribute *attr, int n);
	struct attribute **attrs;
};

/* sysfs_emit with the kernel's %pUb (16 bytes as a lower-case big-endian UUID). */
int sysfs_emit(char *buf, const char *fmt, ...) __printf(2, 3);
bool sysfs_streq(const char *s1, const char *s2);

/* kstrto*: the kernel's rules (base 0 auto-detects 0x/0, one trailing newline allowed). */
int kstrtoull(const char *s, unsigned int base, unsigned long long *res);
int kstrtou64(const char *s, unsigned int base, u64 *res);
int kstrtou32(const char *s, unsigned int base, u32 *res);

/* MMIO over a byte array; every access is counted and checked for alignment and range. */
u32 ioread32(const void __iomem *addr);
void iowrite32(u32 value, void __iomem *addr);

#define SHIM_BAR_SIZE 65536
extern u8 shim_bar[SHIM_BAR_SIZE];
extern unsigned long shim_reads, shim_writes, shim_bad_accesses;

#endif /* KERNEL_SHIM_H */
