// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only core for building the generated sysfs code as a kernel module with kbuild
 * (packages/codegen/test/kbuild-sysfs.test.ts). It is compiled, never loaded: it provides
 * what mock_accel_sysfs.h asks of a driver core and references the attribute groups.
 */
#include <linux/device.h>
#include <linux/module.h>
#include <linux/pci.h>

#include "mock_accel_sysfs.h"

void __iomem *mock_accel_sysfs_bar0(struct device *dev)
{
	return (void __force __iomem *)dev_get_drvdata(dev);
}

bool mock_accel_sysfs_is_vf(struct device *dev)
{
	struct device *parent = dev->parent;

	return parent && dev_is_pci(parent) && to_pci_dev(parent)->is_virtfn;
}

/* Compiled, never loaded: one cache stands in for the per-device one a driver fills at probe. */
static struct mock_accel_sysfs_cache mock_accel_sysfs_test_cache;

const struct mock_accel_sysfs_cache *mock_accel_sysfs_cached(struct device *dev)
{
	return &mock_accel_sysfs_test_cache;
}

static int __init mock_accel_sysfs_test_init(void)
{
	/* Keep the groups referenced the way a driver would hand them to the driver core. */
	return mock_accel_groups[0] ? 0 : -ENODEV;
}

static void __exit mock_accel_sysfs_test_exit(void)
{
}

module_init(mock_accel_sysfs_test_init);
module_exit(mock_accel_sysfs_test_exit);
MODULE_DESCRIPTION("mock-accel generated sysfs code, kbuild test");
MODULE_LICENSE("GPL");
