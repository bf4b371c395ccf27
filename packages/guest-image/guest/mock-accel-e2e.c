/*
 * In-guest helper for the end-to-end suite, built on the host with `gcc -static` against the
 * driver's uapi header, through the ioctl calls it shares with the driver's own client
 * (kernel-driver/tools/mock_accel_user.h). Busybox has no ioctl tool, and timing 1,000 sysfs
 * reads from a shell would time the shell.
 *
 *   mock-accel-e2e status DEV              ioctl MOCK_ACCEL_IOC_STATUS      -> "status 0x%08x"
 *   mock-accel-e2e passphrase DEV N        ioctl MOCK_ACCEL_IOC_PASSPHRASE  -> "passphrase <count> <text>"
 *   mock-accel-e2e passphrase-errno DEV N  the same, expecting failure      -> "errno <name>"
 *   mock-accel-e2e time-read FILE COUNT    COUNT pread()s of a sysfs file   -> "ns_per_read <n>"
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mock_accel_user.h"

static int passphrase(const char *dev, int words, int expect_failure)
{
	struct mock_accel_passphrase p;
	int fd = mock_accel_open(dev, O_RDWR, 1);
	int e = mock_accel_passphrase(fd, (__u32)words, &p);

	close(fd);
	if (e) {
		if (expect_failure) {
			printf("errno %s\n", mock_accel_errname(e));
			return 0;
		}
		fprintf(stderr, "ioctl PASSPHRASE %s: %s\n", dev, strerror(e));
		return 1;
	}
	if (expect_failure) {
		printf("errno none\n");
		return 1;
	}
	printf("passphrase %u %s\n", p.word_count, p.passphrase);
	return 0;
}

static int time_read(const char *path, long count)
{
	char buf[64];
	struct timespec a, b;
	int fd = mock_accel_open(path, O_RDONLY, 1);
	long i;

	if (pread(fd, buf, sizeof(buf), 0) <= 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < count; i++) {
		if (pread(fd, buf, sizeof(buf), 0) <= 0) {
			fprintf(stderr, "pread %s: %s\n", path, strerror(errno));
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	close(fd);
	printf("ns_per_read %lld\n",
	       ((long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec)) / count);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "status") == 0) {
		__u32 status = 0;
		int fd = mock_accel_open(argv[2], O_RDONLY, 1);
		int e = mock_accel_status(fd, &status);

		close(fd);
		if (e) {
			fprintf(stderr, "ioctl STATUS %s: %s\n", argv[2], strerror(e));
			return 1;
		}
		printf("status 0x%08x\n", status);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "passphrase") == 0)
		return passphrase(argv[2], atoi(argv[3]), 0);
	if (argc == 4 && strcmp(argv[1], "passphrase-errno") == 0)
		return passphrase(argv[2], atoi(argv[3]), 1);
	if (argc == 4 && strcmp(argv[1], "time-read") == 0)
		return time_read(argv[2], atol(argv[3]));
	fprintf(stderr, "usage: %s status DEV | passphrase DEV N | passphrase-errno DEV N | time-read FILE COUNT\n", argv[0]);
	return 2;
}
