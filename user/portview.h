/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The live per-port view: two readings of the maps give rates; the flow
 * table gives flows, active flows and distinct clients per port; the socket
 * table gives the listeners, their processes and established connections.
 */
#ifndef PS_PORTVIEW_H
#define PS_PORTVIEW_H

#include "groups.h"
#include "maps.h"

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

const char *kind_name(enum port_kind k);

#endif
