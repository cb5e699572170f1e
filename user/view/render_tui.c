// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The top screen (ncurses): header with totals, reasons and attach modes,
 * one row per port, keys to sort, filter and quit. Redrawn every interval,
 * on a key, and on a terminal resize; fits 80x24 and uses wider screens.
 */
#include <curses.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "observe/live.h"
#include "view/model.h"
#include "lib/fmt.h"
#include "view/portview.h"
#include "view/render_tui.h"
#include "view/render_tui_eph.h"

static const char *const sort_names[] = { [SORT_PACKETS] = "pkts", [SORT_BYTES] = "bytes",
					  [SORT_NEW] = "new", [SORT_PORT] = "port" };

static const char *sort_name(int k)
{
	return k == SORT_FLOWS ? "flows" : sort_names[k];
}

static int next_sort(int k)
{
	switch (k) {
	case SORT_PACKETS: return SORT_BYTES;
	case SORT_BYTES: return SORT_NEW;
	case SORT_NEW: return SORT_FLOWS;
	case SORT_FLOWS: return SORT_PORT;
	default: return SORT_PACKETS;
	}
}

static void draw_header(const struct port_view *v, const struct live *l, const struct view_opts *o,
			double interval)
{
	const struct snapshot *s = &v->snap;
	char a[16], b[16], c[16], when[16], filt[48] = "";
	time_t t = time(NULL);
	struct tm tm;
	int i;

	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	if (o->port || o->proto)
		snprintf(filt, sizeof(filt), "  filter %s%s%.0u", o->proto ? proto_name(o->proto) : "",
			 o->proto && o->port ? "/" : "", (unsigned)o->port);
	attron(A_BOLD);
	mvprintw(0, 0, "portscope top  %s  every %.1fs  sort %s%s%s", when, interval, sort_name(o->sort),
		 o->all_ports ? "  all ports" : "", filt);
	attroff(A_BOLD);
	move(1, 0);
	printw("on");
	for (i = 0; i < l->n; i++)
		printw(" %s (%s)", l->ifs[i].name, mode_name(l->ifs[i].mode));
	mvprintw(2, 0, "total %s pkts/s  %sB/s  %s new/s   since attach %" PRIu64 " pkts",
		 view_human(v->pps, a, sizeof(a)), view_human(v->bps, b, sizeof(b)),
		 view_human(v->new_ps, c, sizeof(c)), (uint64_t)snapshot_class_total(s));
	mvprintw(3, 0, "flows %zu/%u  evicted %" PRIu64 "  insert failures %" PRIu64 "  malformed %" PRIu64
		 "  non-IP %" PRIu64 "  icmp %" PRIu64,
		 s->nflows, s->flow_capacity, (uint64_t)flows_evicted(s),
		 (uint64_t)s->reasons[PS_R_FLOW_INSERT_FAIL], (uint64_t)view_malformed(s),
		 (uint64_t)(s->reasons[PS_R_NON_IP] + s->reasons[PS_R_ARP]),
		 (uint64_t)(s->reasons[PS_R_ICMP] + s->reasons[PS_R_ICMPV6]));
}

static void draw_rows(const struct port_view *v)
{
	char a[16], b[16], port[24], lst[512];
	int y = 5, row, cols = COLS;
	size_t i;

	attron(A_REVERSE);
	mvprintw(y - 1, 0, "%-4s %-10s %6s %6s %5s %4s %5s %4s %4s %4s %-*s", "PROT", "PORT", "PKT/s",
		 "B/s", "NEW/s", "RST", "FLOWS", "ACT", "CLI", "EST", cols > 62 ? cols - 62 : 9,
		 "LISTENERS");
	attroff(A_REVERSE);
	for (i = 0, row = y; i < v->n && row < LINES - 1; i++, row++) {
		const struct port_row_view *r = &v->rows[i];

		if (r->folded)
			snprintf(port, sizeof(port), "(%u ephem)", r->folded);
		else
			snprintf(port, sizeof(port), "%u%s", r->port,
				 r->kind == PORT_SERVICE ? "" : r->kind == PORT_EPHEMERAL ? " eph" : " -");
		view_listeners(r, lst, sizeof(lst));
		mvprintw(row, 0, "%-4s %-10s %6s %6s %5.0f %4.0f %5u %4u %4u %4u ", proto_name(r->proto),
			 port, view_human(r->pps, a, sizeof(a)), view_human(r->bps, b, sizeof(b)), r->new_ps,
			 r->rst_ps, r->flows, r->active, r->clients, r->established);
		addnstr(lst, cols - getcurx(stdscr) > 0 ? cols - getcurx(stdscr) : 0);
	}
	if (i < v->n && LINES > 1)
		mvprintw(LINES - 2, 0, "… %zu more rows", v->n - i);
}

static void draw_help(const char *prompt)
{
	attron(A_REVERSE);
	mvprintw(LINES - 1, 0, "%-*s", COLS,
		 prompt ? prompt : "q quit  s sort  u tcp/udp  e ephemeral  / port filter  c client ports");
	attroff(A_REVERSE);
}

/* Read a port number on the help line; 0 clears the filter. */
static int prompt_port(__u16 *port)
{
	char buf[8] = "";
	long v;

	draw_help("port (empty: all): ");
	echo();
	nocbreak();
	cbreak();
	timeout(-1);
	mvgetnstr(LINES - 1, 19, buf, sizeof(buf) - 1);
	noecho();
	v = strtol(buf, NULL, 10);
	if (v < 0 || v > 65535)
		return -1;
	*port = (__u16)v;
	return 0;
}

struct screen {
	struct live *l;
	struct view_opts *o;
	double interval;
	struct view_clock clk;
	struct port_view v;
	int have;		/* v holds a view */
	struct tui_clients cl;	/* the client screen (key c) */
};

static void draw(struct screen *sc, const struct tui_hook *hook)
{
	erase();
	if (sc->cl.on) {
		tui_clients_draw(&sc->cl, sc->interval);
	} else if (sc->have) {
		draw_header(&sc->v, sc->l, sc->o, sc->interval);
		draw_rows(&sc->v);
		if (hook && hook->line) {
			attron(A_BOLD);
			mvprintw(LINES - 2, 0, "%-*.*s", COLS, COLS, hook->line);
			attroff(A_BOLD);
		}
	} else {
		mvprintw(0, 0, "portscope top: first reading in %.1fs…", sc->interval);
	}
	draw_help(NULL);
	refresh();
}

/* A key: 1 when it changed the view, 0 when not, -1 for a redraw only. */
static int on_key(int ch, struct view_opts *o, volatile sig_atomic_t *stop)
{
	switch (ch) {
	case 'q':
	case 'Q':
		*stop = 1;
		return 0;
	case 's':
		o->sort = next_sort(o->sort);
		return 1;
	case 'u':
		o->proto = !o->proto ? IPPROTO_TCP : o->proto == IPPROTO_TCP ? IPPROTO_UDP : 0;
		return 1;
	case 'e':
		o->all_ports = !o->all_ports;
		return 1;
	case '/':
		prompt_port(&o->port);
		return 1;
	case KEY_RESIZE:
		return -1;
	}
	return 0;
}

/* A changed view: rebuilt from the same two readings at once. */
static void rebuild(struct screen *sc)
{
	struct snapshot keep = sc->v.snap;
	double iv = sc->v.interval;

	if (!sc->have)
		return;
	memset(&sc->v.snap, 0, sizeof(sc->v.snap));
	view_free(&sc->v);
	if (view_build(&sc->v, &keep, &sc->clk.prev, iv, sc->o, &sc->clk.sk)) {
		snapshot_free(&keep);
		sc->have = 0;
	}
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int screen_loop(struct screen *sc, volatile sig_atomic_t *stop, struct tui_hook *hook)
{
	double next = mono_now() + sc->interval;
	int err = 0, redraw = 1, k, ch;

	while (!*stop) {
		if (mono_now() >= next) {
			if (sc->have)
				view_done(&sc->v, &sc->clk);
			err = view_next(&sc->l->fds, &sc->clk, sc->o, &sc->v);
			if (err)
				break;
			tui_clients_tick(&sc->cl);
			sc->have = redraw = 1;
			next = mono_now() + sc->interval;
		}
		if (redraw)
			draw(sc, hook);
		redraw = 0;
		timeout(100);
		ch = getch();
		if (ch == 'c')
			tui_clients_toggle(&sc->cl);
		k = ch == 'c' ? -1 : on_key(ch, sc->o, stop);	/* c: a redraw */
		if (hook && hook->tick) {
			const char *before = hook->line;

			hook->tick(hook->ctx);
			redraw = hook->line != before;
		}
		if (k > 0)
			rebuild(sc);
		redraw |= k != 0;
	}
	return err;
}

int tui_top(struct live *l, struct view_opts *o, double interval, volatile sig_atomic_t *stop,
	    struct tui_hook *hook)
{
	struct screen sc = { .l = l, .o = o, .interval = interval };
	int err = view_start(&l->fds, &sc.clk);

	if (err)
		return err;
	if (!initscr()) {
		view_stop(&sc.clk);
		return -ENOTTY;
	}
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	err = screen_loop(&sc, stop, hook);
	endwin();
	tui_clients_stop(&sc.cl);
	if (sc.have)
		view_free(&sc.v);
	view_stop(&sc.clk);
	return err;
}
