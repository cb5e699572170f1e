// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stdio.h>
#include <bpf/libbpf.h>
#include "lib/log.h"

enum log_level log_level = LOG_WARN;

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (lvl > log_level)
		return;
	fputs("portscope: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/* libbpf's own messages: warnings always, debug output with -vv. */
static int libbpf_print(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	if ((lvl == LIBBPF_DEBUG && log_level < LOG_DEBUG) ||
	    (lvl == LIBBPF_INFO && log_level < LOG_INFO))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void log_init(int verbosity)
{
	log_level = verbosity >= 2 ? LOG_DEBUG : verbosity == 1 ? LOG_INFO :
		    verbosity == 0 ? LOG_WARN : LOG_QUIET;	/* < 0: fuzzers */
	libbpf_set_print(libbpf_print);
}
