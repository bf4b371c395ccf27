// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only stand-ins for the `source: driver` attributes of spec/registers.yaml, so the
 * generated sysfs code links in the kbuild and userspace harnesses. The real ones live in
 * packages/kernel-driver/src. Compiled against the generated mock_accel_sysfs.h, so a
 * prototype that changes shape fails here, and a driver attribute added to the spec without
 * a stub here fails to link (modpost "undefined!" in kbuild, ld in userspace).
 */
#include <linux/device.h>
#include <linux/errno.h>

#include "mock_accel_sysfs.h"

ssize_t mock_accel_numa_node_show(struct device *dev,
		struct device_attribute *attr, char *buf)
{
	return -ENODEV;
}

ssize_t mock_accel_sriov_totalvfs_show(struct device *dev,
		struct device_attribute *attr, char *buf)
{
	return -ENODEV;
}

ssize_t mock_accel_vf_index_show(struct device *dev,
		struct device_attribute *attr, char *buf)
{
	return -ENODEV;
}

ssize_t mock_accel_sriov_numvfs_show(struct device *dev,
		struct device_attribute *attr, char *buf)
{
	return -ENODEV;
}

ssize_t mock_accel_sriov_numvfs_store(struct device *dev,
		struct device_attribute *attr, const char *buf, size_t count)
{
	return -ENODEV;
}

ssize_t mock_accel_wordlist_loaded_show(struct device *dev,
		struct device_attribute *attr, char *buf)
{
	return -ENODEV;
}

ssize_t mock_accel_wordlist_size_show(struct device *dev,
		struct device_attribute *attr, char *buf)
{
	return -ENODEV;
}

ssize_t mock_accel_load_wordlist_store(struct device *dev,
		struct device_attribute *attr, const char *buf, size_t count)
{
	return -ENODEV;
}
