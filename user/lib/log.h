/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Diagnostics: everything goes to stderr; -v raises the level. */
#ifndef PS_LOG_H
#define PS_LOG_H

enum log_level { LOG_QUIET = -1, LOG_WARN, LOG_INFO, LOG_DEBUG };

extern enum log_level log_level;

void log_init(int verbosity);
void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* Exit codes: one conversion, at the top (main). */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

#endif
