/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The live per-port view: two readings of the maps give rates; the flow
 * table gives flows, active flows and distinct clients per port; the socket
 * table gives the listeners, their processes and established connections.
 */
#ifndef PS_PORTVIEW_H
#define PS_PORTVIEW_H

#include "sockets/groups.h"
#include "observe/maps.h"

enum port_kind {
	PORT_SERVICE,	/* a listener or bound socket exists here */
	PORT_EPHEMERAL,	/* in ip_local_port_range, no listener: replies to our clients */
	PORT_UNBOUND,	/* neither: nobody listens */
};

struct port_row_view {
	__u8 proto;
	__u16 port;
	enum port_kind kind;
	struct ps_port_stats total;	/* since attach */
	double pps, bps, new_ps, rst_ps;
	__u32 flows, active, clients;
	__u32 established;		/* TCP sockets ESTABLISHED on this local port */
	const struct group *groups[4];	/* listening groups on this port */
	size_t ngroups;
	__u32 folded;			/* the ephemeral summary row: ports folded in */
};

struct port_view {
	struct port_row_view *rows;
	size_t n;
	struct snapshot snap;		/* the current reading */
	struct groups gs;		/* listeners, holders */
	double interval;		/* seconds between the readings */
	__u64 now_ns;			/* CLOCK_MONOTONIC at the reading */
	double pps, bps, new_ps;	/* totals */
};

struct view_opts {
	__u16 port;		/* 0: all */
	__u8 proto;		/* 0: all */
	int all_ports;		/* do not fold ephemeral ports */
	int sort;		/* enum sort_key, or SORT_FLOWS */
};

#define SORT_FLOWS 10

/* Build the view from the current reading `cur` (taken over by the view)
 * and the previous one (may be NULL: rates are 0). */
int view_build(struct port_view *v, struct snapshot *cur, const struct snapshot *prev,
	       double interval, const struct view_opts *o);
void view_free(struct port_view *v);
/* Order a reading as view_build wants its `prev` (by protocol and port). */
void view_prepare(struct snapshot *s);

/* The live loop's steps: a first reading, then each interval a view of
 * what changed since the last one, which the view then replaces. */
struct view_clock {
	struct snapshot prev;
	double t_prev;		/* CLOCK_MONOTONIC seconds of prev */
};
int view_start(const struct map_fds *fds, struct view_clock *c);
int view_next(const struct map_fds *fds, struct view_clock *c, const struct view_opts *o,
	      struct port_view *v);
/* Done with v: its reading becomes the clock's prev. */
void view_done(struct port_view *v, struct view_clock *c);
void view_stop(struct view_clock *c);

/*
 * Per second, between two readings of a 64-bit counter. A counter that went
 * back wrapped past 2^64 if it was in the top half before (the modular
 * difference is exact); otherwise it was reset (new maps) and counts from 0.
 * Wrapping takes 46 years of bytes at 100 Gb/s, ~3,900 years of packets at
 * 148.8 Mpps (100 GbE line rate, 64-byte frames): it is handled, not expected.
 */
double counter_rate(__u64 now, __u64 before, double secs);

const char *kind_name(enum port_kind k);
/* 1234567 -> "1.2M" */
const char *view_human(double v, char *buf, size_t len);
/* Frames in classes that are broken headers (not kinds of traffic). */
__u64 view_malformed(const struct snapshot *s);
/* "4242 nginx, 4243 nginx +1 holder; portscope round-robin" */
void view_listeners(const struct port_row_view *r, char *buf, size_t len);

#endif
