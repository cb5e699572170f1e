// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Keep the last HELD_MAX - 1 bytes of what libbpf says. */
static void keep(const char *s, size_t len)
{
	size_t room = HELD_MAX - 1, drop;

	if (len > room) {
		s += len - room;
		len = room;
	}
	if (held_len + len > room) {
		drop = held_len + len - room;
		memmove(held, held + drop, held_len - drop);
		held_len -= drop;
	}
	memcpy(held + held_len, s, len);
	held_len += len;
	held[held_len] = '\0';
}

/* libbpf gives a refused program's whole log in one message: its end is
 * what tells, so the message is formatted whole, whatever its size */
static int hold(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	char line[4096], *s;
	va_list aq;
	int n;

	(void)lvl;
	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n <= 0)
		return n;
	s = malloc((size_t)n + 1);
	if (!s) {	/* at least its start (a refusal unnamed, but not lost) */
		vsnprintf(line, sizeof(line), fmt, ap);
		keep(line, strlen(line));
		return n;
	}
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	keep(s, (size_t)n);
	free(s);
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
	/* the end marker: a long log's start is not held */
	int refused = strstr(held, "END PROG LOAD LOG") != NULL;

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
