/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mock-accel: state shared by the hand-written parts of the driver (probe/remove and SR-IOV
 * visibility in mock_accel_main.c, the character device in mock_accel_cdev.c, the firmware
 * wordlist in mock_accel_wordlist.c, driver-sourced attributes in mock_accel_attrs.c).
 * Register offsets come only from the generated mock_accel_regs.h.
 */
#ifndef MOCK_ACCEL_H
#define MOCK_ACCEL_H

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/types.h>

#include "mock_accel_regs.h"
#include "mock_accel_sysfs.h"

/* The PCI driver's name (/sys/bus/pci/drivers/mock-accel). The class, class device names and
 * firmware file come from the spec: MOCK_ACCEL_SYSFS_CLASS, MOCK_ACCEL_*_NAME_FMT and
 * MOCK_ACCEL_FIRMWARE_FILE in the generated mock_accel_regs.h. */
#define MOCK_ACCEL_DRV_NAME "mock-accel"
#define MOCK_ACCEL_MAX_MINORS 256

/* A loaded firmware wordlist: words NUL-separated in one buffer, with their offsets. */
struct mock_accel_wordlist {
	char *text;
	u32 *offsets;
	u32 count;
};

/*
 * One bound PCI function. Allocated with kzalloc and reference counted, because an open
 * character device file can outlive the PCI device; `gone` (under `lock`) tells file
 * operations that BAR0 is no longer mapped.
 */
struct mock_accel_dev {
	struct kref ref;
	struct pci_dev *pdev;
	void __iomem *bar0;
	bool is_vf;
	bool gone;
	/* Serializes BAR0 use from file operations against remove, and the wordlist. */
	struct mutex lock;
	struct mock_accel_wordlist *words;

	int minor;
	/* PF: the N of mockN. */
	int pf_id;
	/* VF: VF_INDEX. */
	u32 vf_index;
	/* PF: SRIOV_TOTAL_VFS (capped at the spec's maximum) and the enabled count. */
	u32 total_vfs;
	u32 num_vfs;
	/* Registers that cannot change while bound, read once at probe for sysfs. */
	struct mock_accel_sysfs_cache cache;

	/* Below: under mock_accel_lock. */
	struct list_head node;
	/* VF: its bound PF, NULL while the PF is not bound. */
	struct mock_accel_dev *pf;
	/* The class device and its cdev, NULL while hidden. */
	struct device *class_dev;
	struct cdev *cdev;
};

extern struct mutex mock_accel_lock;

void mock_accel_get(struct mock_accel_dev *mdev);
void mock_accel_put(struct mock_accel_dev *mdev);
struct mock_accel_dev *mock_accel_get_by_minor(unsigned int minor);
int mock_accel_set_num_vfs(struct mock_accel_dev *pf, u32 num_vfs);
dev_t mock_accel_devt(const struct mock_accel_dev *mdev);

/* Register helpers: 64- and 128-bit registers are read as 32-bit accesses. */

extern const struct file_operations mock_accel_fops;

int mock_accel_wordlist_load(struct mock_accel_dev *mdev);
void mock_accel_wordlist_free(struct mock_accel_wordlist *words);
int mock_accel_passphrase(struct mock_accel_dev *mdev, unsigned int words, char *out, size_t len);

#endif /* MOCK_ACCEL_H */
