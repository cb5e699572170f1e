// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <stdlib.h>
#include "lib/log.h"
#include "lib/parse_arg.h"

int parse_u64(const char *s, const char *what, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	/* strtoull accepts "-1" and leading blanks: refuse both */
	if (!s || !isdigit((unsigned char)s[0])) {
		pr_warn("invalid %s '%s': not a number\n", what, s ? s : "");
		return -EINVAL;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end) {
		pr_warn("invalid %s '%s': not a number\n", what, s);
		return -EINVAL;
	}
	if (errno == ERANGE || v < min || v > max) {
		pr_warn("invalid %s '%s': must be %llu..%llu\n", what, s,
			(unsigned long long)min, (unsigned long long)max);
		return -ERANGE;
	}
	*out = v;
	return 0;
}

int parse_port(const char *s, uint16_t *out)
{
	uint64_t v;
	int err = parse_u64(s, "port", 1, 65535, &v);

	if (!err)
		*out = v;
	return err;
}

int parse_seconds(const char *s, const char *what, double min, double max, double *out)
{
	char *end;
	double v;

	if (!s || !isdigit((unsigned char)s[0])) {
		pr_warn("invalid %s '%s': not a number of seconds\n", what, s ? s : "");
		return -EINVAL;
	}
	errno = 0;
	v = strtod(s, &end);
	if (!strcmp(end, "ms")) {
		v /= 1000;
		end += 2;
	} else if (!strcmp(end, "s")) {
		end++;
	}
	if (*end || errno) {
		pr_warn("invalid %s '%s': not a number of seconds\n", what, s);
		return -EINVAL;
	}
	if (v < min || v > max) {
		pr_warn("invalid %s '%s': must be %g..%g seconds\n", what, s, min, max);
		return -ERANGE;
	}
	*out = v;
	return 0;
}

int parse_proto(const char *s, __u8 *proto)
{
	if (!strcmp(s, "tcp"))
		*proto = IPPROTO_TCP;
	else if (!strcmp(s, "udp"))
		*proto = IPPROTO_UDP;
	else {
		pr_warn("invalid protocol '%s': use tcp or udp\n", s);
		return -EINVAL;
	}
	return 0;
}
