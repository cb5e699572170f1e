// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* top's client screen: the ephemeral view (view/ephview.h) in curses. */
#include <curses.h>
#include <string.h>
#include <time.h>
#include "lib/fmt.h"
#include "view/render_eph.h"
#include "view/render_tui_eph.h"

void tui_clients_toggle(struct tui_clients *t)
{
	struct eph_filter f = {};

	if (t->on) {
		tui_clients_stop(t);
		return;
	}
	memset(t, 0, sizeof(*t));
	t->on = !ephview_start(&t->clk, &f);
}

int tui_clients_tick(struct tui_clients *t)
{
	int err;

	if (!t->on)
		return 0;
	if (t->have)
		ephview_done(&t->clk, &t->v);
	err = ephview_next(&t->clk, &t->v);
	t->have = !err;
	if (!err)
		ephview_sort(&t->v, EPH_SORT_USED);
	return err;
}

void tui_clients_draw(const struct tui_clients *t, double interval)
{
	char when[16], hdr[256], loc[48], rem[64], row[400];
	time_t now = time(NULL);
	struct tm tm;
	int y = 4;
	size_t i;

	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	attron(A_BOLD);
	mvprintw(0, 0, "portscope top  %s  every %.1fs  client ports (ephemeral) per destination", when,
		 interval);
	attroff(A_BOLD);
	if (!t->have) {
		mvprintw(2, 0, "first reading in %.1fs…", interval);
		return;
	}
	eph_header(&t->v, hdr, sizeof(hdr));
	mvprintw(1, 0, "%.*s", COLS, hdr);
	attron(A_REVERSE);
	mvprintw(y - 1, 0, "%-4s %-15s %-21s %-*.*s", "PROT", "LOCAL", "REMOTE", COLS > 43 ? COLS - 43 : 1,
		 COLS > 43 ? COLS - 43 : 1, eph_columns);
	attroff(A_REVERSE);
	for (i = 0; i < t->v.n && y < LINES - 1; i++, y++) {
		const struct eph_dest *d = &t->v.d[i];

		eph_row(d, row, sizeof(row));
		mvprintw(y, 0, "%-4s %-15.15s %-21.21s ", proto_name(d->proto),
			 fmt_addr(d->laddr, d->family, loc, sizeof(loc)),
			 fmt_endpoint(d->raddr, d->family, d->rport, rem, sizeof(rem)));
		addnstr(row, COLS - getcurx(stdscr) > 0 ? COLS - getcurx(stdscr) : 0);
	}
	if (i < t->v.n && LINES > 1)
		mvprintw(LINES - 2, 0, "… %zu more destinations", t->v.n - i);
	if (!t->v.n)
		mvprintw(y, 0, "no outgoing connections");
}

void tui_clients_stop(struct tui_clients *t)
{
	if (t->have)
		eph_free(&t->v);
	if (t->on)
		ephview_stop(&t->clk);
	memset(t, 0, sizeof(*t));
}
