/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The interactive top screen (ncurses). */
#ifndef PS_RENDER_TUI_H
#define PS_RENDER_TUI_H

#include <signal.h>
#include "observe/live.h"
#include "view/portview.h"

/* Called about every 100 ms from the screen's loop (the demo's timeline);
 * its line, if any, is shown under the header. */
struct tui_hook {
	void (*tick)(void *ctx);
	void *ctx;
	const char *line;
};

/* Until 'q' or *stop; 0 or -errno. hook may be NULL. */
int tui_top(struct live *l, struct view_opts *o, double interval, volatile sig_atomic_t *stop,
	    struct tui_hook *hook);

#endif
