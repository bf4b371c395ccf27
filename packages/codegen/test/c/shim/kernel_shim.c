// SPDX-License-Identifier: GPL-2.0
/* Implementations behind kernel_shim.h; see there for why this exists. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "kernel_shim.h"

u8 shim_bar[SHIM_BAR_SIZE];
unsigned long shim_reads, shim_writes, shim_bad_accesses;

static size_t bar_offset(const void *addr)
{
	const u8 *p = addr;

	if (p < shim_bar || p + 4 > shim_bar + SHIM_BAR_SIZE || ((size_t)(p - shim_bar) & 3U) != 0) {
		shim_bad_accesses++;
		return SIZE_MAX;
	}
	return (size_t)(p - shim_bar);
}

u32 ioread32(const void *addr)
{
	size_t off = bar_offset(addr);
	u32 v;

	shim_reads++;
	if (off == SIZE_MAX)
		return 0xffffffffU;
	memcpy(&v, shim_bar + off, 4);
	return v;
}

void iowrite32(u32 value, void *addr)
{
	size_t off = bar_offset(addr);

	shim_writes++;
	if (off != SIZE_MAX)
		memcpy(shim_bar + off, &value, 4);
}

/* Appends to buf at *len, never past PAGE_SIZE (like the kernel's scnprintf-based emit). */
static void append(char *buf, size_t *len, const char *fmt, ...) __printf(3, 4);
static void append(char *buf, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *len, PAGE_SIZE - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len += (size_t)n < PAGE_SIZE - *len ? (size_t)n : PAGE_SIZE - 1 - *len;
}

int sysfs_emit(char *buf, const char *fmt, ...)
{
	va_list ap;
	size_t len = 0;
	const char *p = fmt;

	buf[0] = '\0';
	va_start(ap, fmt);
	while (*p) {
		if (*p != '%') {
			append(buf, &len, "%c", *p++);
			continue;
		}
		if (strncmp(p, "%pUb", 4) == 0) {
			const u8 *u = va_arg(ap, const u8 *);

			append(buf, &len,
			       "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			       u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7],
			       u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
			p += 4;
			continue;
		}
		/* One conversion: copy "%[flags][width][.prec][length]conv" and print its argument. */
		{
			char spec[32];
			size_t n = 1;
			int longs = 0;

			spec[0] = '%';
			p++;
			while (*p && strchr("-+ #0123456789.", *p) && n < sizeof(spec) - 4)
				spec[n++] = *p++;
			while (*p == 'l' && n < sizeof(spec) - 3) {
				spec[n++] = *p++;
				longs++;
			}
			spec[n++] = *p;
			spec[n] = '\0';
			switch (*p) {
			case 'u':
			case 'x':
			case 'X':
			case 'd':
			case 'i':
				if (longs >= 2)
					append(buf, &len, spec, va_arg(ap, unsigned long long));
				else if (longs == 1)
					append(buf, &len, spec, va_arg(ap, unsigned long));
				else
					append(buf, &len, spec, va_arg(ap, unsigned int));
				break;
			case 's':
				append(buf, &len, spec, va_arg(ap, const char *));
				break;
			case 'c':
				append(buf, &len, spec, va_arg(ap, int));
				break;
			case '%':
				append(buf, &len, "%%");
				break;
			default:
				fprintf(stderr, "shim: sysfs_emit: unsupported conversion %s\n", spec);
				va_end(ap);
				return -EINVAL;
			}
			if (*p)
				p++;
		}
	}
	va_end(ap);
	return (int)len;
}

bool sysfs_streq(const char *s1, const char *s2)
{
	while (*s1 && *s1 == *s2) {
		s1++;
		s2++;
	}
	if (*s1 == *s2)
		return true;
	if (!*s1 && *s2 == '\n' && !s2[1])
		return true;
	if (*s1 == '\n' && !s1[1] && !*s2)
		return true;
	return false;
}

int kstrtoull(const char *s, unsigned int base, unsigned long long *res)
{
	unsigned long long acc = 0;
	size_t digits = 0;
	bool overflow = false;

	if (s[0] == '+')
		s++;
	if (base == 0) {
		if (s[0] == '0') {
			if (tolower((unsigned char)s[1]) == 'x' && isxdigit((unsigned char)s[2]))
				base = 16;
			else
				base = 8;
		} else {
			base = 10;
		}
	}
	if (base == 16 && s[0] == '0' && tolower((unsigned char)s[1]) == 'x')
		s += 2;
	for (;; s++, digits++) {
		unsigned int d;
		int c = tolower((unsigned char)*s);

		if (c >= '0' && c <= '9')
			d = (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned int)(c - 'a' + 10);
		else
			break;
		if (d >= base)
			break;
		if (acc > (~0ULL - d) / base)
			overflow = true;
		acc = acc * base + d;
	}
	if (digits == 0)
		return -EINVAL;
	if (overflow)
		return -ERANGE;
	if (*s == '\n')
		s++;
	if (*s)
		return -EINVAL;
	*res = acc;
	return 0;
}

int kstrtou64(const char *s, unsigned int base, u64 *res)
{
	return kstrtoull(s, base, res);
}

int kstrtou32(const char *s, unsigned int base, u32 *res)
{
	unsigned long long tmp;
	int rv = kstrtoull(s, base, &tmp);

	if (rv < 0)
		return rv;
	if (tmp != (u32)tmp)
		return -ERANGE;
	*res = (u32)tmp;
	return 0;
}
