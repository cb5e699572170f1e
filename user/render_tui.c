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
#include "attach.h"
#include "model.h"
#include "portview.h"
#include "render_tui.h"

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
		 prompt ? prompt : "q quit  s sort  u tcp/udp  e ephemeral  / port filter");
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

int tui_top(struct live *l, struct view_opts *o, double interval, volatile sig_atomic_t *stop,
	    struct tui_hook *hook)
{
	struct view_clock clk;
	struct port_view v;
	struct timespec ts;
	double next, now;
	int err, ch, redraw = 1, have = 0;

	err = view_start(&l->fds, &clk);
	if (err)
		return err;
	if (!initscr()) {
		view_stop(&clk);
		return -ENOTTY;
	}
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	next = ts.tv_sec + ts.tv_nsec / 1e9 + interval;
	while (!*stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = ts.tv_sec + ts.tv_nsec / 1e9;
		if (now >= next) {
			if (have)
				view_done(&v, &clk);
			err = view_next(&l->fds, &clk, o, &v);
			if (err)
				break;
			have = redraw = 1;
			next = now + interval;
		}
		if (redraw) {
			erase();
			if (have) {
				draw_header(&v, l, o, interval);
				draw_rows(&v);
				if (hook && hook->line) {
					attron(A_BOLD);
					mvprintw(LINES - 2, 0, "%-*.*s", COLS, COLS, hook->line);
					attroff(A_BOLD);
				}
			} else {
				mvprintw(0, 0, "portscope top: first reading in %.1fs…", interval);
			}
			draw_help(NULL);
			refresh();
			redraw = 0;
		}
		timeout(100);
		ch = getch();
		if (hook && hook->tick) {
			const char *before = hook->line;

			hook->tick(hook->ctx);
			redraw |= hook->line != before;
		}
		switch (ch) {
		case 'q':
		case 'Q':
			*stop = 1;
			break;
		case 's':
			o->sort = next_sort(o->sort);
			break;
		case 'u':
			o->proto = !o->proto ? IPPROTO_TCP : o->proto == IPPROTO_TCP ? IPPROTO_UDP : 0;
			break;
		case 'e':
			o->all_ports = !o->all_ports;
			break;
		case '/':
			prompt_port(&o->port);
			break;
		case KEY_RESIZE:
			redraw = 1;
			continue;
		default:
			continue;
		}
		/* a changed view: rebuild from the same two readings at once */
		if (have) {
			struct snapshot keep = v.snap;
			double iv = v.interval;

			memset(&v.snap, 0, sizeof(v.snap));
			view_free(&v);
			if (view_build(&v, &keep, &clk.prev, iv, o)) {
				snapshot_free(&keep);
				have = 0;
			}
		}
		redraw = 1;
	}
	endwin();
	if (have)
		view_free(&v);
	view_stop(&clk);
	return err;
}
