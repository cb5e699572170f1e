/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* top's client screen (key c): source ports per destination, ncurses. */
#ifndef PS_RENDER_TUI_EPH_H
#define PS_RENDER_TUI_EPH_H

#include "view/ephview.h"

struct tui_clients {
	int on;			/* the client screen is shown */
	struct eph_clock clk;
	struct eph_view v;
	int have;		/* v holds a reading */
};

/* Key c: show or leave the client screen (its clock starts and stops). */
void tui_clients_toggle(struct tui_clients *t);
/* Every interval while shown: a new reading. */
int tui_clients_tick(struct tui_clients *t);
void tui_clients_draw(const struct tui_clients *t, double interval);
void tui_clients_stop(struct tui_clients *t);

#endif
