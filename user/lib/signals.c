// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <time.h>
#include "lib/signals.h"

volatile sig_atomic_t ps_stop;

static void on_signal(int sig)
{
	(void)sig;
	ps_stop = 1;
}

void stop_on_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

void sleep_unless_stopped(double secs)
{
	struct timespec ts = { .tv_sec = (time_t)secs,
			       .tv_nsec = (long)((secs - (time_t)secs) * 1e9) };

	while (!ps_stop && nanosleep(&ts, &ts) && errno == EINTR)
		;
}
