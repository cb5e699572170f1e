// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <stdlib.h>
#include "log.h"
#include "parse_arg.h"

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

int option_error(int c, char **argv, const char *cmd)
{
	if (c == '!')
		return -EINVAL;
	if (c == ':')
		pr_warn("option '%s' needs a value\n", argv[optind - 1]);
	else
		pr_warn("unknown option '%s'; see 'portscope %s --help'\n", argv[optind - 1], cmd);
	return -EINVAL;
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

int getopt_once(int argc, char **argv, const char *optstring, const struct option *longopts,
		const char *repeatable, unsigned char seen[256])
{
	const struct option *o;
	int c = getopt_long(argc, argv, optstring, longopts, NULL);

	if (c <= 0 || c > 255 || c == ':' || c == '?' || !optarg || strchr(repeatable, c))
		return c;
	if (!seen[c]++)
		return c;
	for (o = longopts; o->name && o->val != c; o++)
		;
	if (o->name)
		pr_warn("option --%s given twice\n", o->name);
	else
		pr_warn("option -%c given twice\n", c);
	return '!';
}
