// SPDX-License-Identifier: GPL-2.0
/*
 * mock-accel: PCI driver for the mock accelerator served by mock-accel's device server.
 *
 * Physical functions (device MOCK_ACCEL_PCI_PF_DEVICE_ID) appear as class devices mockN.
 * Virtual functions are static PCI functions 1..N of the PF's slot (QEMU hides the SR-IOV
 * capability from guests, so BAR0 carries SRIOV_TOTAL_VFS, SRIOV_NUM_VFS and VF_INDEX); a VF
 * appears as mock<N>_vf<i> only while its PF is bound and the PF's sriov_numvfs exceeds i.
 * Functions may probe in any order: a VF finds its bound PF in the device list, and a PF
 * adopts the VFs of its slot already bound.
 */
#include <linux/err.h>
#include <linux/idr.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/version.h>

#include "mock_accel.h"
#include "mock_accel_regs.h"
#include "mock_accel_sysfs.h"

/* VF_INDEX on a PF: the spec's device_config vf_index default for PFs. */
#define MOCK_ACCEL_VF_INDEX_NONE MOCK_ACCEL_CONFIG_VF_INDEX_DEFAULT_PF

DEFINE_MUTEX(mock_accel_lock);
static LIST_HEAD(mock_accel_devices);
static DEFINE_IDA(mock_accel_minor_ida);
static DEFINE_IDA(mock_accel_pf_ida);
static struct class *mock_accel_class;
static dev_t mock_accel_devt_base;

dev_t mock_accel_devt(const struct mock_accel_dev *mdev)
{
	return MKDEV(MAJOR(mock_accel_devt_base), mdev->minor);
}

static void mock_accel_release(struct kref *ref)
{
	struct mock_accel_dev *mdev = container_of(ref, struct mock_accel_dev, ref);

	mock_accel_wordlist_free(mdev->words);
	mutex_destroy(&mdev->lock);
	kfree(mdev);
}

void mock_accel_get(struct mock_accel_dev *mdev)
{
	kref_get(&mdev->ref);
}

void mock_accel_put(struct mock_accel_dev *mdev)
{
	kref_put(&mdev->ref, mock_accel_release);
}

/* The device behind an open of /dev/<minor>, with a reference, or NULL when hidden. */
struct mock_accel_dev *mock_accel_get_by_minor(unsigned int minor)
{
	struct mock_accel_dev *mdev, *found = NULL;

	mutex_lock(&mock_accel_lock);
	list_for_each_entry(mdev, &mock_accel_devices, node) {
		if (mdev->minor == (int)minor && mdev->class_dev) {
			mock_accel_get(mdev);
			found = mdev;
			break;
		}
	}
	mutex_unlock(&mock_accel_lock);
	return found;
}

/* ---- class devices (callers hold mock_accel_lock) ---- */

/* Removes the class device and /dev node (sysfs "show" means a read; hence publish/unpublish). */
static void mock_accel_unpublish(struct mock_accel_dev *mdev)
{
	if (!mdev->class_dev)
		return;
	device_unregister(mdev->class_dev);
	mdev->class_dev = NULL;
	cdev_del(mdev->cdev);
	mdev->cdev = NULL;
}

/* Creates the /dev node and the class device; on failure neither exists. */
static int mock_accel_publish(struct mock_accel_dev *mdev)
{
	struct device *parent = &mdev->pdev->dev;
	struct device *dev;
	struct cdev *cdev;
	int rc;

	if (mdev->class_dev)
		return 0;
	/* cdev_alloc: an open file may hold the cdev after the class device is gone. */
	cdev = cdev_alloc();
	if (!cdev)
		return -ENOMEM;
	cdev->owner = THIS_MODULE;
	cdev->ops = &mock_accel_fops;
	rc = cdev_add(cdev, mock_accel_devt(mdev), 1);
	if (rc) {
		kobject_put(&cdev->kobj);
		return dev_err_probe(parent, rc, "cannot add character device\n");
	}
	if (mdev->is_vf)
		dev = device_create_with_groups(mock_accel_class, parent, mock_accel_devt(mdev), mdev,
						mock_accel_groups, MOCK_ACCEL_VF_NAME_FMT, mdev->pf->pf_id,
						mdev->vf_index);
	else
		dev = device_create_with_groups(mock_accel_class, parent, mock_accel_devt(mdev), mdev,
						mock_accel_groups, MOCK_ACCEL_PF_NAME_FMT, mdev->pf_id);
	if (IS_ERR(dev)) {
		cdev_del(cdev);
		return dev_err_probe(parent, PTR_ERR(dev), "cannot create class device\n");
	}
	mdev->cdev = cdev;
	mdev->class_dev = dev;
	return 0;
}

static bool mock_accel_same_slot(const struct mock_accel_dev *a, const struct mock_accel_dev *b)
{
	return pci_domain_nr(a->pdev->bus) == pci_domain_nr(b->pdev->bus) &&
	       a->pdev->bus->number == b->pdev->bus->number &&
	       PCI_SLOT(a->pdev->devfn) == PCI_SLOT(b->pdev->devfn);
}

/* Publish or unpublish a VF's class device from its PF's state. */
static int mock_accel_update_vf(struct mock_accel_dev *vf)
{
	if (vf->pf && vf->vf_index < vf->pf->num_vfs)
		return mock_accel_publish(vf);
	mock_accel_unpublish(vf);
	return 0;
}

/* Every VF of `pf` follows the PF's num_vfs; the first failure is returned. */
static int mock_accel_update_vfs(struct mock_accel_dev *pf)
{
	struct mock_accel_dev *vf;
	int first = 0, rc;

	list_for_each_entry(vf, &mock_accel_devices, node) {
		if (vf->pf != pf)
			continue;
		rc = mock_accel_update_vf(vf);
		if (rc && !first)
			first = rc;
	}
	return first;
}

/*
 * Called from the PF's sriov_numvfs store, with the value already checked against
 * SRIOV_TOTAL_VFS. A trylock, because removing the PF holds mock_accel_lock while its class
 * device (and so this attribute) drains. If a VF cannot be published, the previous count is
 * restored (register and class devices) and the store fails with the error.
 */
int mock_accel_set_num_vfs(struct mock_accel_dev *pf, u32 num_vfs)
{
	u32 old = pf->num_vfs;
	int rc;

	if (!mutex_trylock(&mock_accel_lock))
		return restart_syscall();
	iowrite32(num_vfs, pf->bar0 + MOCK_ACCEL_SRIOV_NUM_VFS_OFFSET);
	/* Read locklessly by the sriov_numvfs show and the character device summary. */
	WRITE_ONCE(pf->num_vfs, num_vfs);
	rc = mock_accel_update_vfs(pf);
	if (rc) {
		iowrite32(old, pf->bar0 + MOCK_ACCEL_SRIOV_NUM_VFS_OFFSET);
		WRITE_ONCE(pf->num_vfs, old);
		mock_accel_update_vfs(pf);
	}
	mutex_unlock(&mock_accel_lock);
	return rc;
}

/* ---- PCI driver ---- */

static void __iomem *mock_accel_map_bar0(struct pci_dev *pdev)
{
#ifdef MOCK_ACCEL_HAVE_PCIM_IOMAP_REGION
	return pcim_iomap_region(pdev, 0, MOCK_ACCEL_DRV_NAME);
#else
	int rc = pcim_iomap_regions(pdev, BIT(0), MOCK_ACCEL_DRV_NAME);

	if (rc)
		return IOMEM_ERR_PTR(rc);
	return pcim_iomap_table(pdev)[0];
#endif
}

static void mock_accel_free_minor(void *data)
{
	ida_free(&mock_accel_minor_ida, (int)(long)data);
}

static void mock_accel_free_pf_id(void *data)
{
	ida_free(&mock_accel_pf_ida, (int)(long)data);
}

static void mock_accel_put_action(void *data)
{
	mock_accel_put(data);
}

/*
 * A VF's index: VF_INDEX, or, when the server left it unset (the old mock-device server had no
 * --vf-index, and its recipe starts every VF that way), the PCI function - 1, the old driver's
 * rule: VF i sits at function i+1 of its PF's slot, as qemu-args places it.
 */
static int mock_accel_vf_index(struct pci_dev *pdev, void __iomem *bar0, u32 *index)
{
	u32 v = ioread32(bar0 + MOCK_ACCEL_VF_INDEX_OFFSET);

	if (v == MOCK_ACCEL_CONFIG_VF_INDEX_DEFAULT_VF) {
		if (PCI_FUNC(pdev->devfn) == 0)
			return dev_err_probe(&pdev->dev, -ENODEV,
					     "VF at function 0 has no VF_INDEX: serve it with --vf-index N, or place VF N at function N+1\n");
		v = PCI_FUNC(pdev->devfn) - 1;
	}
	if (v >= MOCK_ACCEL_SRIOV_MAX_TOTAL_VFS)
		return dev_err_probe(&pdev->dev, -ENODEV, "VF_INDEX %u is out of range 0..%u\n", v,
				     MOCK_ACCEL_SRIOV_MAX_TOTAL_VFS - 1);
	*index = v;
	return 0;
}

static int mock_accel_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct mock_accel_dev *mdev, *other;
	void __iomem *bar0;
	u32 magic;
	int rc;

	rc = pcim_enable_device(pdev);
	if (rc)
		return dev_err_probe(dev, rc, "cannot enable PCI device\n");
	if (pci_resource_len(pdev, 0) < MOCK_ACCEL_BAR0_SIZE)
		return dev_err_probe(dev, -ENODEV, "BAR0 is %llu bytes, expected at least %u\n",
				     (unsigned long long)pci_resource_len(pdev, 0),
				     (unsigned int)MOCK_ACCEL_BAR0_SIZE);
	bar0 = mock_accel_map_bar0(pdev);
	if (IS_ERR(bar0))
		return dev_err_probe(dev, PTR_ERR(bar0), "cannot map BAR0\n");
	magic = ioread32(bar0 + MOCK_ACCEL_DEVICE_ID_OFFSET);
	if (magic != MOCK_ACCEL_DEVICE_ID_RESET)
		return dev_err_probe(dev, -ENODEV, "DEVICE_ID reads 0x%08x, expected 0x%08x\n", magic,
				     (u32)MOCK_ACCEL_DEVICE_ID_RESET);

	mdev = kzalloc(sizeof(*mdev), GFP_KERNEL);
	if (!mdev)
		return -ENOMEM;
	kref_init(&mdev->ref);
	mutex_init(&mdev->lock);
	INIT_LIST_HEAD(&mdev->node);
	mdev->pdev = pdev;
	mdev->bar0 = bar0;
	mdev->pf_id = -1;
	mdev->is_vf = pdev->device == MOCK_ACCEL_PCI_VF_DEVICE_ID;
	/* Before any class device exists, so no attribute ever prints an unfilled cache. */
	mock_accel_sysfs_cache_fill(bar0, &mdev->cache);
	rc = devm_add_action_or_reset(dev, mock_accel_put_action, mdev);
	if (rc)
		return rc;

	if (mdev->is_vf) {
		rc = mock_accel_vf_index(pdev, bar0, &mdev->vf_index);
		if (rc)
			return rc;
	} else {
		mdev->vf_index = MOCK_ACCEL_VF_INDEX_NONE;
		mdev->total_vfs = min_t(u32, ioread32(bar0 + MOCK_ACCEL_SRIOV_TOTAL_VFS_OFFSET),
					MOCK_ACCEL_SRIOV_MAX_TOTAL_VFS);
		/* Like hardware, enablement outlives a driver reload. */
		mdev->num_vfs = min_t(u32, ioread32(bar0 + MOCK_ACCEL_SRIOV_NUM_VFS_OFFSET),
				      mdev->total_vfs);
		rc = ida_alloc(&mock_accel_pf_ida, GFP_KERNEL);
		if (rc < 0)
			return rc;
		mdev->pf_id = rc;
		rc = devm_add_action_or_reset(dev, mock_accel_free_pf_id, (void *)(long)mdev->pf_id);
		if (rc)
			return rc;
	}

	rc = ida_alloc_max(&mock_accel_minor_ida, MOCK_ACCEL_MAX_MINORS - 1, GFP_KERNEL);
	if (rc < 0)
		return dev_err_probe(dev, rc, "no free minor number\n");
	mdev->minor = rc;
	rc = devm_add_action_or_reset(dev, mock_accel_free_minor, (void *)(long)mdev->minor);
	if (rc)
		return rc;

	rc = mock_accel_wordlist_load(mdev);
	if (rc)
		dev_warn(dev, "firmware %s not loaded (%d); passphrases from the driver are unavailable\n",
			 MOCK_ACCEL_FIRMWARE_FILE, rc);

	pci_set_drvdata(pdev, mdev);

	mutex_lock(&mock_accel_lock);
	list_add_tail(&mdev->node, &mock_accel_devices);
	if (mdev->is_vf) {
		list_for_each_entry(other, &mock_accel_devices, node)
			if (!other->is_vf && mock_accel_same_slot(other, mdev))
				mdev->pf = other;
		rc = mock_accel_update_vf(mdev);
	} else {
		rc = mock_accel_publish(mdev);
		if (!rc) {
			/* Adopt the VFs of this slot that probed first. */
			list_for_each_entry(other, &mock_accel_devices, node)
				if (other->is_vf && mock_accel_same_slot(other, mdev))
					other->pf = mdev;
			rc = mock_accel_update_vfs(mdev);
		}
		if (rc) {
			list_for_each_entry(other, &mock_accel_devices, node) {
				if (other->pf == mdev) {
					other->pf = NULL;
					mock_accel_unpublish(other);
				}
			}
			mock_accel_unpublish(mdev);
		}
	}
	if (rc)
		list_del_init(&mdev->node);
	mutex_unlock(&mock_accel_lock);
	if (rc)
		return rc;

	if (mdev->is_vf)
		dev_info(dev, "VF %u bound%s\n", mdev->vf_index, mdev->pf ? "" : " (PF not bound yet)");
	else
		dev_info(dev, MOCK_ACCEL_PF_NAME_FMT " bound: %u of %u VFs enabled\n", mdev->pf_id, mdev->num_vfs,
			 mdev->total_vfs);
	return 0;
}

static void mock_accel_remove(struct pci_dev *pdev)
{
	struct mock_accel_dev *mdev = pci_get_drvdata(pdev);
	struct mock_accel_dev *vf;

	mutex_lock(&mock_accel_lock);
	if (!mdev->is_vf) {
		list_for_each_entry(vf, &mock_accel_devices, node) {
			if (vf->pf == mdev) {
				vf->pf = NULL;
				mock_accel_unpublish(vf);
			}
		}
	}
	mock_accel_unpublish(mdev);
	list_del_init(&mdev->node);
	mutex_unlock(&mock_accel_lock);

	/* Open files keep mdev; they must not touch BAR0 once devres unmaps it. */
	mutex_lock(&mdev->lock);
	mdev->gone = true;
	mdev->bar0 = NULL;
	mutex_unlock(&mdev->lock);
}

static const struct pci_device_id mock_accel_ids[] = {
	{ PCI_DEVICE(MOCK_ACCEL_PCI_VENDOR_ID, MOCK_ACCEL_PCI_PF_DEVICE_ID) },
	{ PCI_DEVICE(MOCK_ACCEL_PCI_VENDOR_ID, MOCK_ACCEL_PCI_VF_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, mock_accel_ids);

static struct pci_driver mock_accel_driver = {
	.name = MOCK_ACCEL_DRV_NAME,
	.id_table = mock_accel_ids,
	.probe = mock_accel_probe,
	.remove = mock_accel_remove,
};

/* ---- module ---- */

static int __init mock_accel_init(void)
{
	int rc;

	rc = alloc_chrdev_region(&mock_accel_devt_base, 0, MOCK_ACCEL_MAX_MINORS, MOCK_ACCEL_DRV_NAME);
	if (rc)
		return rc;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	mock_accel_class = class_create(MOCK_ACCEL_SYSFS_CLASS);
#else
	mock_accel_class = class_create(THIS_MODULE, MOCK_ACCEL_SYSFS_CLASS);
#endif
	if (IS_ERR(mock_accel_class)) {
		rc = PTR_ERR(mock_accel_class);
		goto err_chrdev;
	}
	rc = pci_register_driver(&mock_accel_driver);
	if (rc)
		goto err_class;
	return 0;

err_class:
	class_destroy(mock_accel_class);
err_chrdev:
	unregister_chrdev_region(mock_accel_devt_base, MOCK_ACCEL_MAX_MINORS);
	return rc;
}

static void __exit mock_accel_exit(void)
{
	pci_unregister_driver(&mock_accel_driver);
	class_destroy(mock_accel_class);
	unregister_chrdev_region(mock_accel_devt_base, MOCK_ACCEL_MAX_MINORS);
	ida_destroy(&mock_accel_minor_ida);
	ida_destroy(&mock_accel_pf_ida);
}

module_init(mock_accel_init);
module_exit(mock_accel_exit);

MODULE_DESCRIPTION("Mock PCIe accelerator for testing Kubernetes DRA drivers");
MODULE_LICENSE("GPL");
MODULE_FIRMWARE(MOCK_ACCEL_FIRMWARE_FILE);
