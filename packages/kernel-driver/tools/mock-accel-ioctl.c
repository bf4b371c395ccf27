// A userspace client of /dev/mockN built from the uapi header alone, through the ioctl calls in
// mock_accel_user.h (statically, so it runs in a busybox guest). Also prints the ABI facts the
// header documents.
//
//   mock-accel-ioctl abi                      print ioctl numbers and struct size
//   mock-accel-ioctl status DEV               print STATUS as 0x%08x
//   mock-accel-ioctl passphrase DEV [WORDS]   print word_count and the passphrase
//   mock-accel-ioctl bad DEV                  bad arguments: print the errno names they give
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "mock_accel_user.h"

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "abi") == 0) {
		printf("version %d\nSTATUS 0x%08lx\nPASSPHRASE 0x%08lx\nsizeof %zu\n", MOCK_ACCEL_UAPI_VERSION,
		       (unsigned long)MOCK_ACCEL_IOC_STATUS, (unsigned long)MOCK_ACCEL_IOC_PASSPHRASE,
		       sizeof(struct mock_accel_passphrase));
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "status") == 0) {
		__u32 status = 0;
		int fd = mock_accel_open(argv[2], O_RDONLY, 2);
		int e = mock_accel_status(fd, &status);

		if (e) {
			printf("error %s\n", mock_accel_errname(e));
			return 1;
		}
		printf("0x%08x\n", status);
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "passphrase") == 0) {
		struct mock_accel_passphrase p;
		int fd = mock_accel_open(argv[2], O_RDONLY, 2);
		int e = mock_accel_passphrase(fd, (__u32)(argc >= 4 ? atoi(argv[3]) : 0), &p);

		if (e) {
			printf("error %s\n", mock_accel_errname(e));
			return 1;
		}
		printf("%u %s\n", p.word_count, p.passphrase);
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "bad") == 0) {
		struct mock_accel_passphrase p;
		int fd = mock_accel_open(argv[2], O_RDONLY, 2);
		int rc;

		memset(&p, 0, sizeof(p));
		p.word_count = 13;
		rc = ioctl(fd, MOCK_ACCEL_IOC_PASSPHRASE, &p);
		printf("words13 %s\n", mock_accel_errname(rc ? errno : 0));
		p.word_count = 255;
		rc = ioctl(fd, MOCK_ACCEL_IOC_PASSPHRASE, &p);
		printf("words255 %s\n", mock_accel_errname(rc ? errno : 0));
		p.word_count = 4;
		p.flags = 1;
		rc = ioctl(fd, MOCK_ACCEL_IOC_PASSPHRASE, &p);
		printf("flags %s\n", mock_accel_errname(rc ? errno : 0));
		p.flags = 0;
		p.reserved[2] = 1;
		rc = ioctl(fd, MOCK_ACCEL_IOC_PASSPHRASE, &p);
		printf("reserved %s\n", mock_accel_errname(rc ? errno : 0));
		rc = ioctl(fd, MOCK_ACCEL_IOC_PASSPHRASE, (void *)8);
		printf("passphrase-null %s\n", mock_accel_errname(rc ? errno : 0));
		rc = ioctl(fd, MOCK_ACCEL_IOC_STATUS, (void *)8);
		printf("status-null %s\n", mock_accel_errname(rc ? errno : 0));
		rc = ioctl(fd, _IO(MOCK_ACCEL_IOC_MAGIC, 99), 0);
		printf("unknown %s\n", mock_accel_errname(rc ? errno : 0));
		return 0;
	}
	fprintf(stderr, "usage: %s abi | status DEV | passphrase DEV [WORDS] | bad DEV\n", argv[0]);
	return 2;
}
