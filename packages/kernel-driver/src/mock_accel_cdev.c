// SPDX-License-Identifier: GPL-2.0
/*
 * mock-accel: the character device /dev/mockN (and /dev/mockN_vfI). read() gives a summary;
 * ioctls are declared in include/uapi/mock_accel.h. Every operation re-checks that the PCI
 * function is still bound, since an open file can outlive it.
 */
#include <linux/build_bug.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "mock_accel.h"
#include "mock_accel_regs.h"
#include "../include/uapi/mock_accel.h"

#define MOCK_ACCEL_SUMMARY_LEN 512

/*
 * The uapi header is a stable ABI and written by hand; these keep its limits equal to the
 * spec's PASSPHRASE_* registers, so a spec change cannot drift from the ioctl unnoticed.
 */
static_assert(MOCK_ACCEL_PASSPHRASE_DEFAULT_WORDS == MOCK_ACCEL_PASSPHRASE_LENGTH_RESET);
static_assert(MOCK_ACCEL_PASSPHRASE_MAX_WORDS == MOCK_ACCEL_PASSPHRASE_LENGTH_WRITE_MAX);
static_assert(MOCK_ACCEL_PASSPHRASE_LEN == MOCK_ACCEL_PASSPHRASE_BUFFER_SIZE);
/* The ABI the uapi header documents: a layout change must be a new version and ioctl number. */
static_assert(sizeof(struct mock_accel_passphrase) == 288);

static int mock_accel_open(struct inode *inode, struct file *file)
{
	struct mock_accel_dev *mdev = mock_accel_get_by_minor(iminor(inode));

	if (!mdev)
		return -ENODEV;
	file->private_data = mdev;
	return 0;
}

static int mock_accel_release_file(struct inode *inode, struct file *file)
{
	mock_accel_put(file->private_data);
	return 0;
}

static int mock_accel_summary(struct mock_accel_dev *mdev, char *buf, size_t len)
{
	/* The constants come from the probe-time cache the sysfs attributes print; STATUS is live. */
	const struct mock_accel_sysfs_cache *c = &mdev->cache;
	u32 fw = c->fw_version;
	u64 mem = c->memory_size;
	int n = 0;

	n += scnprintf(buf + n, len - n, "device: %s\n", pci_name(mdev->pdev));
	n += scnprintf(buf + n, len - n, "function: %s\n", mdev->is_vf ? "vf" : "pf");
	if (mdev->is_vf)
		n += scnprintf(buf + n, len - n, "vf_index: %u\n", mdev->vf_index);
	n += scnprintf(buf + n, len - n, "uuid: %pUb\n", c->uuid);
	n += scnprintf(buf + n, len - n, "memory_size: %llu (%llu MiB)\n", mem, mem >> 20);
	n += scnprintf(buf + n, len - n, "capabilities: 0x%08x\n", c->capabilities);
	n += scnprintf(buf + n, len - n, "status: 0x%08x\n", ioread32(mdev->bar0 + MOCK_ACCEL_STATUS_OFFSET));
	n += scnprintf(buf + n, len - n, "numa_node: %d\n", dev_to_node(&mdev->pdev->dev));
	n += scnprintf(buf + n, len - n, "fw_version: %u.%u.%u\n",
		       (fw & MOCK_ACCEL_FW_VERSION__MAJOR_bm) >> MOCK_ACCEL_FW_VERSION__MAJOR_bp,
		       (fw & MOCK_ACCEL_FW_VERSION__MINOR_bm) >> MOCK_ACCEL_FW_VERSION__MINOR_bp,
		       (fw & MOCK_ACCEL_FW_VERSION__PATCH_bm) >> MOCK_ACCEL_FW_VERSION__PATCH_bp);
	if (!mdev->is_vf)
		n += scnprintf(buf + n, len - n, "sriov: %u of %u VFs enabled\n",
			       READ_ONCE(mdev->num_vfs), mdev->total_vfs);
	if (mdev->words)
		n += scnprintf(buf + n, len - n, "wordlist: loaded, %u words\n", mdev->words->count);
	else
		n += scnprintf(buf + n, len - n, "wordlist: not loaded\n");
	return n;
}

static ssize_t mock_accel_read(struct file *file, char __user *ubuf, size_t count, loff_t *ppos)
{
	struct mock_accel_dev *mdev = file->private_data;
	ssize_t rc;
	char *buf;
	int len;

	buf = kmalloc(MOCK_ACCEL_SUMMARY_LEN, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	mutex_lock(&mdev->lock);
	if (mdev->gone) {
		mutex_unlock(&mdev->lock);
		kfree(buf);
		return -ENODEV;
	}
	len = mock_accel_summary(mdev, buf, MOCK_ACCEL_SUMMARY_LEN);
	mutex_unlock(&mdev->lock);
	rc = simple_read_from_buffer(ubuf, count, ppos, buf, len);
	kfree(buf);
	return rc;
}

static long mock_accel_ioctl_passphrase(struct mock_accel_dev *mdev, void __user *arg)
{
	struct mock_accel_passphrase *req;
	unsigned int count, i;
	long rc;

	/* 288 bytes: too big for the stack of an ioctl path. */
	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	/* Only the header: the passphrase is output, whatever the caller left in it. */
	if (copy_from_user(req, arg, offsetof(struct mock_accel_passphrase, passphrase))) {
		rc = -EFAULT;
		goto out;
	}
	rc = -EINVAL;
	if (req->flags)
		goto out;
	for (i = 0; i < ARRAY_SIZE(req->reserved); i++)
		if (req->reserved[i])
			goto out;
	count = req->word_count ? req->word_count : MOCK_ACCEL_PASSPHRASE_DEFAULT_WORDS;
	if (count > MOCK_ACCEL_PASSPHRASE_MAX_WORDS)
		goto out;
	mutex_lock(&mdev->lock);
	rc = mdev->gone ? -ENODEV :
			  mock_accel_passphrase(mdev, count, req->passphrase, sizeof(req->passphrase));
	mutex_unlock(&mdev->lock);
	if (rc)
		goto out;
	req->word_count = count;
	if (copy_to_user(arg, req, sizeof(*req)))
		rc = -EFAULT;
out:
	kfree(req);
	return rc;
}

static long mock_accel_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct mock_accel_dev *mdev = file->private_data;
	void __user *uarg = (void __user *)arg;
	u32 status;

	switch (cmd) {
	case MOCK_ACCEL_IOC_STATUS:
		mutex_lock(&mdev->lock);
		if (mdev->gone) {
			mutex_unlock(&mdev->lock);
			return -ENODEV;
		}
		status = ioread32(mdev->bar0 + MOCK_ACCEL_STATUS_OFFSET);
		mutex_unlock(&mdev->lock);
		return put_user(status, (u32 __user *)uarg);
	case MOCK_ACCEL_IOC_PASSPHRASE:
		return mock_accel_ioctl_passphrase(mdev, uarg);
	default:
		return -ENOTTY;
	}
}

const struct file_operations mock_accel_fops = {
	.owner = THIS_MODULE,
	.open = mock_accel_open,
	.release = mock_accel_release_file,
	.read = mock_accel_read,
	.llseek = default_llseek,
	.unlocked_ioctl = mock_accel_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};
