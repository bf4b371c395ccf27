/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mock_accel_sysfs.h - what the hand-written mock_accel driver core provides to the generated
 * sysfs attributes, and the attribute groups it registers.
 * Generated from spec/registers.yaml by packages/codegen (template c-sysfs.h.hbs).
 * Do not edit: change the spec and run `bun run codegen`.
 */
#ifndef MOCK_ACCEL_SYSFS_H
#define MOCK_ACCEL_SYSFS_H

#include <linux/compiler.h>
#include <linux/types.h>

struct attribute_group;
struct device;
struct device_attribute;

/* BAR0 of the class device's PCI function (NULL when it is not mapped). */
void __iomem *mock_accel_sysfs_bar0(struct device *dev);
/* True when the class device is a virtual function (decides PF-only/VF-only visibility). */
bool mock_accel_sysfs_is_vf(struct device *dev);

/*
 * Registers that cannot change while a driver is bound (RO with a `source` in the spec):
 * mock_accel_sysfs_cache_fill() reads them once at probe, and their attributes print from here
 * instead of crossing to the device on every read. Multi-word registers keep their bytes
 * in memory order.
 */
struct mock_accel_sysfs_cache {
	__le32 uuid[4];
	u64 memory_size;
	u32 capabilities;
	u32 fw_version;
};

/* Reads every cached register from BAR0 (32-bit accesses, low word first). */
void mock_accel_sysfs_cache_fill(void __iomem *bar0, struct mock_accel_sysfs_cache *c);
/* The cache the driver core filled at probe for the class device's PCI function. */
const struct mock_accel_sysfs_cache *mock_accel_sysfs_cached(struct device *dev);

/*
 * Attributes with `source: driver` in the spec: the driver core implements these, so a
 * spec change that adds one fails to link until someone writes it.
 */
/* numa_node (0444, PF and VF): NUMA node of the PCI device (-1 when unknown). */
ssize_t mock_accel_numa_node_show(struct device *dev,
		struct device_attribute *attr, char *buf);
/* sriov_totalvfs (0444, PF only): VFs this PF carries, from SRIOV_TOTAL_VFS. */
ssize_t mock_accel_sriov_totalvfs_show(struct device *dev,
		struct device_attribute *attr, char *buf);
/* sriov_numvfs (0644, PF only): VFs enabled; writing N (0..sriov_totalvfs) shows mock<pf>_vf0..N-1. */
ssize_t mock_accel_sriov_numvfs_show(struct device *dev,
		struct device_attribute *attr, char *buf);
ssize_t mock_accel_sriov_numvfs_store(struct device *dev,
		struct device_attribute *attr, const char *buf, size_t count);
/* vf_index (0444, VF only): This VF's index under its PF, from VF_INDEX, or from its PCI function (function - 1) when VF_INDEX is 0xFFFFFFFF. */
ssize_t mock_accel_vf_index_show(struct device *dev,
		struct device_attribute *attr, char *buf);
/* wordlist_loaded (0444, PF and VF): 1 when the firmware wordlist is loaded. */
ssize_t mock_accel_wordlist_loaded_show(struct device *dev,
		struct device_attribute *attr, char *buf);
/* wordlist_size (0444, PF and VF): Words in the loaded firmware wordlist. */
ssize_t mock_accel_wordlist_size_show(struct device *dev,
		struct device_attribute *attr, char *buf);
/* load_wordlist (0200, PF and VF): Write 1 to reload firmware mock-accel-wordlist.txt. */
ssize_t mock_accel_load_wordlist_store(struct device *dev,
		struct device_attribute *attr, const char *buf, size_t count);

/* NULL-terminated, for device_create_with_groups() or .dev_groups. */
extern const struct attribute_group *mock_accel_groups[];

#endif /* MOCK_ACCEL_SYSFS_H */
