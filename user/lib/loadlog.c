// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "lib/caps.h"
#include "lib/loadlog.h"
#include "lib/log.h"

#define HELD_MAX (256 * 1024)	/* the end of the log is what tells */
#define LAST_LINES 20

static char held[HELD_MAX];
static size_t held_len;
static libbpf_print_fn_t saved;

/* Keep the last HELD_MAX bytes of what libbpf says. */
static int hold(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	char line[4096];
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	size_t len = n < 0 ? 0 : (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;

	(void)lvl;
	if (held_len + len >= HELD_MAX) {
		size_t drop = held_len + len - HELD_MAX / 2;

		drop = drop > held_len ? held_len : drop;
		memmove(held, held + drop, held_len - drop);
		held_len -= drop;
	}
	memcpy(held + held_len, line, len);
	held_len += len;
	held[held_len] = '\0';
	return n;
}

void loadlog_begin(void)
{
	held_len = 0;
	held[0] = '\0';
	if (log_level < LOG_DEBUG)
		saved = libbpf_set_print(hold);
}

/* The verifier's last lines before the log's end marker. */
static void print_last_lines(void)
{
	char *end = strstr(held, "-- END PROG LOAD LOG --");
	char *p;
	int n = 0;

	if (!end)
		end = held + held_len;
	for (p = end; p > held && n <= LAST_LINES; p--)
		if (p[-1] == '\n')
			n++;
	fprintf(stderr, "portscope: the verifier's last lines:\n%.*s", (int)(end - p), p);
}

void loadlog_end(int err, const char *what)
{
	int refused = strstr(held, "BEGIN PROG LOAD LOG") != NULL;

	if (log_level < LOG_DEBUG)
		libbpf_set_print(saved);
	if (!err)
		return;
	if (err == -EPERM && !refused)
		pr_warn("loading %s needs CAP_BPF and CAP_NET_ADMIN (run as root)\n", what);
	else if (refused && !have_perfmon())
		pr_warn("cannot load %s: the kernel's verifier refused it (%s); this kernel may need "
			"CAP_PERFMON for it%s\n", what, strerror(-err),
			log_level >= LOG_INFO ? "" : " (-v shows why)");
	else
		pr_warn("cannot load %s: %s%s\n", what, strerror(-err),
			refused && log_level < LOG_INFO ? " (-v shows the verifier's log)" : "");
	if (refused && log_level == LOG_INFO)
		print_last_lines();
}
