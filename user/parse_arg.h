/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Strict command-line number parsing: whole string, range-checked. */
#ifndef PS_PARSE_ARG_H
#define PS_PARSE_ARG_H

#include <stdint.h>

/* 0, or -EINVAL / -ERANGE with a one-line message naming `what` on stderr. */
int parse_u64(const char *s, const char *what, uint64_t min, uint64_t max, uint64_t *out);
int parse_port(const char *s, uint16_t *out);
/* Seconds, decimals allowed ("0.5"), within [min, max]. */
int parse_seconds(const char *s, const char *what, double min, double max, double *out);
/* getopt_long (optstring starting with ':') returned ':' or '?': one line
 * naming the option, and -EINVAL. ('!': getopt_once said it already.) */
int option_error(int c, char **argv, const char *cmd);

struct option;
/* getopt_long that refuses an option taking a value given twice, unless its
 * short name is in `repeatable`: one line naming it, and '!' returned.
 * seen[] starts zeroed, one per command line. */
int getopt_once(int argc, char **argv, const char *optstring, const struct option *longopts,
		const char *repeatable, unsigned char seen[256]);

#endif
