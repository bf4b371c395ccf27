// SPDX-License-Identifier: GPL-2.0
/*
 * mock_accel_sysfs.c - sysfs attributes of /sys/class/mock-accel/<device>/.
 * Generated from spec/registers.yaml by packages/codegen (template c-sysfs.c.hbs).
 * Do not edit: change the spec and run `bun run codegen`.
 *
 * Register-backed attributes read and write BAR0 with 32-bit accesses only (a 64-bit
 * register is two reads, low word first; a 1- or 2-byte register is read from the aligned
 * word that holds it, and the spec allows no writes to those). Registers that cannot
 * change while the driver is bound are read once at probe into the driver's cache and
 * printed from there. Stores validate their input and return -EINVAL before touching any
 * register.
 */
#include <linux/device.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/sysfs.h>
#include <asm/byteorder.h>

#include "../include/mock_accel_regs.h"
#include "mock_accel_sysfs.h"

void mock_accel_sysfs_cache_fill(void __iomem *bar0, struct mock_accel_sysfs_cache *c)
{
	unsigned int i;

	for (i = 0; i < MOCK_ACCEL_UUID_SIZE / 4; i++)
		c->uuid[i] = cpu_to_le32(ioread32(bar0 + MOCK_ACCEL_UUID_OFFSET + 4 * i));
	c->memory_size = ioread32(bar0 + MOCK_ACCEL_MEMORY_SIZE_OFFSET);
	c->memory_size |= (u64)ioread32(bar0 + MOCK_ACCEL_MEMORY_SIZE_OFFSET + 4) << 32;
	c->capabilities = ioread32(bar0 + MOCK_ACCEL_CAPABILITIES_OFFSET);
	c->fw_version = ioread32(bar0 + MOCK_ACCEL_FW_VERSION_OFFSET);
}

/* uuid: Device UUID. (read at probe) */
static ssize_t mock_accel_sysfs_uuid_show(struct device *dev,
		struct device_attribute *attr, char *buf)
{
	const struct mock_accel_sysfs_cache *c = mock_accel_sysfs_cached(dev);
	/* The register's bytes in memory order. */
	__le32 raw[MOCK_ACCEL_UUID_SIZE / 4 + 1];
	unsigned int i;

	if (!c)
		return -ENODEV;
	for (i = 0; i < MOCK_ACCEL_UUID_SIZE / 4; i++)
		raw[i] = c->uuid[i];
	raw[MOCK_ACCEL_UUID_SIZE / 4] = 0;
	return sysfs_emit(buf, "%pUb\n", (const u8 *)raw);
}

/* memory_size: Device memory in bytes. (read at probe) */
static ssize_t mock_accel_sysfs_memory_size_show(struct device *dev,
		struct device_attribute *attr, char *buf)
{
	const struct mock_accel_sysfs_cache *c = mock_accel_sysfs_cached(dev);
	u64 val;

	if (!c)
		return -ENODEV;
	val = c->memory_size;
	return sysfs_emit(buf, "%llu\n", val);
}

/* capabilities: Capability bits. (read at probe) */
static ssize_t mock_accel_sysfs_capabilities_show(struct device *dev,
		struct device_attribute *attr, char *buf)
{
	const struct mock_accel_sysfs_cache *c = mock_accel_sysfs_cached(dev);
	u32 val;

	if (!c)
		return -ENODEV;
	val = c->capabilities;
	return sysfs_emit(buf, "0x%08x\n", val);
}

/* status: Allocation state; bit 0 is the allocated flag. Accepts any base-0 u32. */
static ssize_t mock_accel_sysfs_status_show(struct device *dev,
		struct device_attribute *attr, char *buf)
{
	void __iomem *bar0 = mock_accel_sysfs_bar0(dev);
	u32 val;

	if (!bar0)
		return -ENODEV;
	val = ioread32(bar0 + MOCK_ACCEL_STATUS_OFFSET);
	return sysfs_emit(buf, "0x%08x\n", val);
}

/* fw_version: Firmware version "M.m.p". (read at probe) */
static ssize_t mock_accel_sysfs_fw_version_show(struct device *dev,
		struct device_attribute *attr, char *buf)
{
	const struct mock_accel_sysfs_cache *c = mock_accel_sysfs_cached(dev);
	u32 val;

	if (!c)
		return -ENODEV;
	val = c->fw_version;
	return sysfs_emit(buf, "%u.%u.%u\n",
			  (val & MOCK_ACCEL_FW_VERSION__MAJOR_bm) >> MOCK_ACCEL_FW_VERSION__MAJOR_bp,
			  (val & MOCK_ACCEL_FW_VERSION__MINOR_bm) >> MOCK_ACCEL_FW_VERSION__MINOR_bp,
			  (val & MOCK_ACCEL_FW_VERSION__PATCH_bm) >> MOCK_ACCEL_FW_VERSION__PATCH_bp);
}

/* passphrase_length: Words in the next generated passphrase (4..12). */
static ssize_t mock_accel_sysfs_passphrase_length_show(struct device *dev,
		struct device_attribute *attr, char *buf)
{
	void __iomem *bar0 = mock_accel_sysfs_bar0(dev);
	u32 val;

	if (!bar0)
		return -ENODEV;
	val = ioread32(bar0 + MOCK_ACCEL_PASSPHRASE_LENGTH_OFFSET);
	return sysfs_emit(buf, "%u\n", val);
}

/* passphrase_status: idle, busy, ready or error. */
static ssize_t mock_accel_sysfs_passphrase_status_show(struct device *dev,
		struct device_attribute *attr, char *buf)
{
	void __iomem *bar0 = mock_accel_sysfs_bar0(dev);
	u32 val;

	if (!bar0)
		return -ENODEV;
	val = ioread32(bar0 + MOCK_ACCEL_PASSPHRASE_STATUS_OFFSET);
	switch (val) {
	case MOCK_ACCEL_PASSPHRASE_STATUS__IDLE:
		return sysfs_emit(buf, "idle\n");
	case MOCK_ACCEL_PASSPHRASE_STATUS__BUSY:
		return sysfs_emit(buf, "busy\n");
	case MOCK_ACCEL_PASSPHRASE_STATUS__READY:
		return sysfs_emit(buf, "ready\n");
	case MOCK_ACCEL_PASSPHRASE_STATUS__ERROR:
		return sysfs_emit(buf, "error\n");
	default:
		return sysfs_emit(buf, "unknown\n");
	}
}

/* passphrase_count: Words in the last passphrase. */
static ssize_t mock_accel_sysfs_passphrase_count_show(struct device *dev,
		struct device_attribute *attr, char *buf)
{
	void __iomem *bar0 = mock_accel_sysfs_bar0(dev);
	u32 val;

	if (!bar0)
		return -ENODEV;
	val = ioread32(bar0 + MOCK_ACCEL_PASSPHRASE_COUNT_OFFSET);
	return sysfs_emit(buf, "%u\n", val);
}

/* passphrase: The last passphrase, words separated by spaces. */
static ssize_t mock_accel_sysfs_passphrase_show(struct device *dev,
		struct device_attribute *attr, char *buf)
{
	void __iomem *bar0 = mock_accel_sysfs_bar0(dev);
	/* The register's bytes in memory order, plus a zero word that ends the string. */
	__le32 raw[MOCK_ACCEL_PASSPHRASE_BUFFER_SIZE / 4 + 1];
	unsigned int i;

	if (!bar0)
		return -ENODEV;
	for (i = 0; i < MOCK_ACCEL_PASSPHRASE_BUFFER_SIZE / 4; i++)
		raw[i] = cpu_to_le32(ioread32(bar0 + MOCK_ACCEL_PASSPHRASE_BUFFER_OFFSET + 4 * i));
	raw[MOCK_ACCEL_PASSPHRASE_BUFFER_SIZE / 4] = 0;
	return sysfs_emit(buf, "%s\n", (const char *)raw);
}

/* status: accepts any u32 (decimal, 0x hex or 0 octal); anything else is -EINVAL */
static ssize_t mock_accel_sysfs_status_store(struct device *dev,
		struct device_attribute *attr, const char *buf, size_t count)
{
	void __iomem *bar0 = mock_accel_sysfs_bar0(dev);
	u32 val;

	if (!bar0)
		return -ENODEV;
	if (kstrtou32(buf, 0, &val))
		return -EINVAL;
	iowrite32(val, bar0 + MOCK_ACCEL_STATUS_OFFSET);
	return count;
}

/* passphrase_length: accepts 4..12; anything else is -EINVAL */
static ssize_t mock_accel_sysfs_passphrase_length_store(struct device *dev,
		struct device_attribute *attr, const char *buf, size_t count)
{
	void __iomem *bar0 = mock_accel_sysfs_bar0(dev);
	u32 val;

	if (!bar0)
		return -ENODEV;
	if (kstrtou32(buf, 0, &val))
		return -EINVAL;
	if (val < 4U || val > 12U)
		return -EINVAL;
	iowrite32(val, bar0 + MOCK_ACCEL_PASSPHRASE_LENGTH_OFFSET);
	return count;
}

/* passphrase_generate: accepts only 1; anything else is -EINVAL */
static ssize_t mock_accel_sysfs_passphrase_generate_store(struct device *dev,
		struct device_attribute *attr, const char *buf, size_t count)
{
	void __iomem *bar0 = mock_accel_sysfs_bar0(dev);
	u32 val;

	if (!bar0)
		return -ENODEV;
	if (kstrtou32(buf, 0, &val))
		return -EINVAL;
	if (val != 1U)
		return -EINVAL;
	iowrite32(val, bar0 + MOCK_ACCEL_PASSPHRASE_CMD_OFFSET);
	return count;
}

static struct device_attribute mock_accel_dev_attr_uuid =
	__ATTR(uuid, 0444,
	       mock_accel_sysfs_uuid_show,
	       NULL);
static struct device_attribute mock_accel_dev_attr_memory_size =
	__ATTR(memory_size, 0444,
	       mock_accel_sysfs_memory_size_show,
	       NULL);
static struct device_attribute mock_accel_dev_attr_capabilities =
	__ATTR(capabilities, 0444,
	       mock_accel_sysfs_capabilities_show,
	       NULL);
static struct device_attribute mock_accel_dev_attr_status =
	__ATTR(status, 0644,
	       mock_accel_sysfs_status_show,
	       mock_accel_sysfs_status_store);
static struct device_attribute mock_accel_dev_attr_numa_node =
	__ATTR(numa_node, 0444,
	       mock_accel_numa_node_show,
	       NULL);
static struct device_attribute mock_accel_dev_attr_fw_version =
	__ATTR(fw_version, 0444,
	       mock_accel_sysfs_fw_version_show,
	       NULL);
static struct device_attribute mock_accel_dev_attr_sriov_totalvfs =
	__ATTR(sriov_totalvfs, 0444,
	       mock_accel_sriov_totalvfs_show,
	       NULL);
static struct device_attribute mock_accel_dev_attr_sriov_numvfs =
	__ATTR(sriov_numvfs, 0644,
	       mock_accel_sriov_numvfs_show,
	       mock_accel_sriov_numvfs_store);
static struct device_attribute mock_accel_dev_attr_vf_index =
	__ATTR(vf_index, 0444,
	       mock_accel_vf_index_show,
	       NULL);
static struct device_attribute mock_accel_dev_attr_passphrase_length =
	__ATTR(passphrase_length, 0644,
	       mock_accel_sysfs_passphrase_length_show,
	       mock_accel_sysfs_passphrase_length_store);
static struct device_attribute mock_accel_dev_attr_passphrase_generate =
	__ATTR(passphrase_generate, 0200,
	       NULL,
	       mock_accel_sysfs_passphrase_generate_store);
static struct device_attribute mock_accel_dev_attr_passphrase_status =
	__ATTR(passphrase_status, 0444,
	       mock_accel_sysfs_passphrase_status_show,
	       NULL);
static struct device_attribute mock_accel_dev_attr_passphrase_count =
	__ATTR(passphrase_count, 0444,
	       mock_accel_sysfs_passphrase_count_show,
	       NULL);
static struct device_attribute mock_accel_dev_attr_passphrase =
	__ATTR(passphrase, 0444,
	       mock_accel_sysfs_passphrase_show,
	       NULL);
static struct device_attribute mock_accel_dev_attr_wordlist_loaded =
	__ATTR(wordlist_loaded, 0444,
	       mock_accel_wordlist_loaded_show,
	       NULL);
static struct device_attribute mock_accel_dev_attr_wordlist_size =
	__ATTR(wordlist_size, 0444,
	       mock_accel_wordlist_size_show,
	       NULL);
static struct device_attribute mock_accel_dev_attr_load_wordlist =
	__ATTR(load_wordlist, 0200,
	       NULL,
	       mock_accel_load_wordlist_store);

static struct attribute *mock_accel_attrs[] = {
	&mock_accel_dev_attr_uuid.attr,
	&mock_accel_dev_attr_memory_size.attr,
	&mock_accel_dev_attr_capabilities.attr,
	&mock_accel_dev_attr_status.attr,
	&mock_accel_dev_attr_numa_node.attr,
	&mock_accel_dev_attr_fw_version.attr,
	&mock_accel_dev_attr_sriov_totalvfs.attr,
	&mock_accel_dev_attr_sriov_numvfs.attr,
	&mock_accel_dev_attr_vf_index.attr,
	&mock_accel_dev_attr_passphrase_length.attr,
	&mock_accel_dev_attr_passphrase_generate.attr,
	&mock_accel_dev_attr_passphrase_status.attr,
	&mock_accel_dev_attr_passphrase_count.attr,
	&mock_accel_dev_attr_passphrase.attr,
	&mock_accel_dev_attr_wordlist_loaded.attr,
	&mock_accel_dev_attr_wordlist_size.attr,
	&mock_accel_dev_attr_load_wordlist.attr,
	NULL,
};

/* PF-only attributes are hidden on virtual functions, VF-only ones on physical functions. */
static umode_t mock_accel_sysfs_is_visible(struct kobject *kobj, struct attribute *attr,
		int n)
{
	bool is_vf = mock_accel_sysfs_is_vf(kobj_to_dev(kobj));

	if (attr == &mock_accel_dev_attr_sriov_totalvfs.attr)
		return is_vf ? 0 : attr->mode;
	if (attr == &mock_accel_dev_attr_sriov_numvfs.attr)
		return is_vf ? 0 : attr->mode;
	if (attr == &mock_accel_dev_attr_vf_index.attr)
		return is_vf ? attr->mode : 0;
	return attr->mode;
}

static const struct attribute_group mock_accel_group = {
	.attrs = mock_accel_attrs,
	.is_visible = mock_accel_sysfs_is_visible,
};

const struct attribute_group *mock_accel_groups[] = {
	&mock_accel_group,
	NULL,
};
