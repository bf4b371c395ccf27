// SPDX-License-Identifier: GPL-2.0
/*
 * mock-accel: the sysfs attributes whose value the driver supplies (`source: driver` in
 * spec/registers.yaml). The generated mock_accel_sysfs.h declares these; register-backed
 * attributes are generated in mock_accel_sysfs.c and reach BAR0, or the registers read once
 * at probe, through the accessors at the top.
 */
#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/sysfs.h>

#include "mock_accel.h"
#include "mock_accel_regs.h"
#include "mock_accel_sysfs.h"

static struct mock_accel_dev *to_mdev(struct device *dev)
{
	return dev_get_drvdata(dev);
}

void __iomem *mock_accel_sysfs_bar0(struct device *dev)
{
	return to_mdev(dev)->bar0;
}

bool mock_accel_sysfs_is_vf(struct device *dev)
{
	return to_mdev(dev)->is_vf;
}

const struct mock_accel_sysfs_cache *mock_accel_sysfs_cached(struct device *dev)
{
	return &to_mdev(dev)->cache;
}

ssize_t mock_accel_numa_node_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", dev_to_node(&to_mdev(dev)->pdev->dev));
}

ssize_t mock_accel_sriov_totalvfs_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", to_mdev(dev)->total_vfs);
}

ssize_t mock_accel_vf_index_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", to_mdev(dev)->vf_index);
}

ssize_t mock_accel_sriov_numvfs_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_mdev(dev)->num_vfs));
}

ssize_t mock_accel_sriov_numvfs_store(struct device *dev, struct device_attribute *attr,
				      const char *buf, size_t count)
{
	struct mock_accel_dev *mdev = to_mdev(dev);
	u32 num_vfs;
	int rc;

	rc = kstrtou32(buf, 0, &num_vfs);
	if (rc)
		return -EINVAL;
	if (num_vfs > mdev->total_vfs)
		return -EINVAL;
	rc = mock_accel_set_num_vfs(mdev, num_vfs);
	return rc ? rc : (ssize_t)count;
}

ssize_t mock_accel_wordlist_loaded_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct mock_accel_dev *mdev = to_mdev(dev);
	bool loaded;

	mutex_lock(&mdev->lock);
	loaded = mdev->words != NULL;
	mutex_unlock(&mdev->lock);
	return sysfs_emit(buf, "%d\n", loaded ? 1 : 0);
}

ssize_t mock_accel_wordlist_size_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct mock_accel_dev *mdev = to_mdev(dev);
	u32 size;

	mutex_lock(&mdev->lock);
	size = mdev->words ? mdev->words->count : 0;
	mutex_unlock(&mdev->lock);
	return sysfs_emit(buf, "%u\n", size);
}

ssize_t mock_accel_load_wordlist_store(struct device *dev, struct device_attribute *attr,
				       const char *buf, size_t count)
{
	u32 value;
	int rc;

	if (kstrtou32(buf, 0, &value) || value != 1)
		return -EINVAL;
	rc = mock_accel_wordlist_load(to_mdev(dev));
	return rc ? rc : (ssize_t)count;
}
