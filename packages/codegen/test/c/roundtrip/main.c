// SPDX-License-Identifier: GPL-2.0
/*
 * Drives the generated sysfs show/store functions from stdin, one command per line, one
 * answer per line on stdout (packages/codegen/test/roundtrip-sysfs.test.ts writes the
 * commands). Binary data travels as hex so no quoting is needed.
 *
 *   vf 0|1                     the device is a PF (0) or a VF (1)
 *   set OFFSET HEX             write bytes into BAR0 at OFFSET (hex)
 *   dump OFFSET LEN            -> "dump HEX"
 *   probe                      fill the probe-time cache from BAR0 -> "probe reads"
 *   show NAME                  -> "show RET HEX reads writes bad"   (HEX = the text shown)
 *   store NAME HEX             -> "store RET reads writes bad changed"
 *   visible NAME               -> "visible MODE"  (octal, 0 = hidden)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/device.h>

#include "mock_accel_sysfs.h"

static struct device test_dev;
static bool test_is_vf;
static struct mock_accel_sysfs_cache test_cache;

void __iomem *mock_accel_sysfs_bar0(struct device *dev)
{
	return dev == &test_dev ? shim_bar : NULL;
}

bool mock_accel_sysfs_is_vf(struct device *dev)
{
	return test_is_vf;
}

const struct mock_accel_sysfs_cache *mock_accel_sysfs_cached(struct device *dev)
{
	return dev == &test_dev ? &test_cache : NULL;
}

static struct device_attribute *find_attr(const char *name)
{
	struct attribute **a;

	for (a = mock_accel_groups[0]->attrs; *a; a++) {
		if (strcmp((*a)->name, name) == 0)
			return container_of(*a, struct device_attribute, attr);
	}
	return NULL;
}

static int attr_index(const struct attribute *attr)
{
	int i;

	for (i = 0; mock_accel_groups[0]->attrs[i]; i++) {
		if (mock_accel_groups[0]->attrs[i] == attr)
			return i;
	}
	return -1;
}

static void print_hex(const unsigned char *p, size_t n)
{
	size_t i;

	if (n == 0)
		fputs("-", stdout);
	for (i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static size_t parse_hex(const char *hex, unsigned char *out, size_t max)
{
	size_t n = 0;

	if (strcmp(hex, "-") == 0)
		return 0;
	while (hex[0] && hex[1] && n < max) {
		char byte[3] = { hex[0], hex[1], 0 };

		out[n++] = (unsigned char)strtoul(byte, NULL, 16);
		hex += 2;
	}
	return n;
}

static void reset_counts(void)
{
	shim_reads = 0;
	shim_writes = 0;
	shim_bad_accesses = 0;
}

int main(void)
{
	static char line[PAGE_SIZE * 4];
	static unsigned char data[PAGE_SIZE * 2];
	static unsigned char before[SHIM_BAR_SIZE];

	while (fgets(line, sizeof(line), stdin)) {
		char cmd[16], name[128], arg[PAGE_SIZE * 2 + 1];
		int fields;

		line[strcspn(line, "\n")] = '\0';
		arg[0] = '\0';
		fields = sscanf(line, "%15s %127s %8192s", cmd, name, arg);
		if (fields < 1)
			continue;
		if (strcmp(cmd, "vf") == 0) {
			test_is_vf = atoi(name) != 0;
			puts("ok");
		} else if (strcmp(cmd, "set") == 0) {
			size_t off = strtoul(name, NULL, 16);
			size_t n = parse_hex(arg, data, sizeof(data));

			if (off + n > SHIM_BAR_SIZE) {
				puts("error range");
				continue;
			}
			memcpy(shim_bar + off, data, n);
			puts("ok");
		} else if (strcmp(cmd, "probe") == 0) {
			reset_counts();
			mock_accel_sysfs_cache_fill(shim_bar, &test_cache);
			printf("probe %lu\n", shim_reads);
		} else if (strcmp(cmd, "dump") == 0) {
			size_t off = strtoul(name, NULL, 16);
			size_t n = strtoul(arg, NULL, 10);

			if (off + n > SHIM_BAR_SIZE) {
				puts("error range");
				continue;
			}
			fputs("dump ", stdout);
			print_hex(shim_bar + off, n);
			putchar('\n');
		} else if (strcmp(cmd, "show") == 0 || strcmp(cmd, "store") == 0 ||
			   strcmp(cmd, "visible") == 0) {
			struct device_attribute *da = find_attr(name);

			if (!da) {
				printf("error unknown attribute %s\n", name);
				continue;
			}
			if (strcmp(cmd, "visible") == 0) {
				umode_t mode = mock_accel_groups[0]->is_visible(&test_dev.kobj, &da->attr,
										 attr_index(&da->attr));

				printf("visible %o\n", (unsigned int)mode);
			} else if (strcmp(cmd, "show") == 0) {
				/* A page, poisoned, so a missing NUL or newline shows up. */
				static char buf[PAGE_SIZE];
				ssize_t ret;

				if (!da->show) {
					puts("error no show");
					continue;
				}
				memset(buf, 0x5a, sizeof(buf));
				reset_counts();
				ret = da->show(&test_dev, da, buf);
				printf("show %zd ", ret);
				print_hex((const unsigned char *)buf, ret > 0 ? (size_t)ret : 0);
				printf(" %lu %lu %lu\n", shim_reads, shim_writes, shim_bad_accesses);
			} else {
				/* sysfs hands store() a NUL-terminated copy of what was written. */
				static char input[PAGE_SIZE];
				size_t n = parse_hex(arg, (unsigned char *)input, sizeof(input) - 1);
				ssize_t ret;

				if (!da->store) {
					puts("error no store");
					continue;
				}
				input[n] = '\0';
				memcpy(before, shim_bar, sizeof(before));
				reset_counts();
				ret = da->store(&test_dev, da, input, n);
				printf("store %zd %lu %lu %lu %d\n", ret, shim_reads, shim_writes,
				       shim_bad_accesses, memcmp(before, shim_bar, sizeof(before)) != 0);
			}
		} else {
			printf("error unknown command %s\n", cmd);
		}
		fflush(stdout);
	}
	return 0;
}
