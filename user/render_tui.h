/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The interactive top screen (ncurses). */
#ifndef PS_RENDER_TUI_H
#define PS_RENDER_TUI_H

#include <signal.h>
#include "attach.h"
#include "portview.h"

/* Until 'q' or *stop; 0 or -errno. */
int tui_top(struct live *l, struct view_opts *o, double interval, volatile sig_atomic_t *stop);

#endif
