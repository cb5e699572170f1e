/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* SIGINT and SIGTERM end a loop cleanly: a flag, and sleeps it cuts short. */
#ifndef PS_SIGNALS_H
#define PS_SIGNALS_H

#include <signal.h>

extern volatile sig_atomic_t ps_stop;

/* SIGINT and SIGTERM set ps_stop. */
void stop_on_signals(void);
/* Sleep secs, or less when a signal sets ps_stop. */
void sleep_unless_stopped(double secs);

#endif
