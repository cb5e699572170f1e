/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The live per-port view: two readings of the maps give rates; the flow
 * table gives flows, active flows and distinct clients per port; the socket
 * table gives the listeners, their processes and established connections.
 *
 * With every network namespace (--all-netns), a row is (protocol, port,
 * namespace): the namespace its traffic went to, known by the flows'
 * destination addresses (the namespace whose interface holds one), joined
 * with that namespace's listeners. A port whose traffic went to several
 * namespaces is split, a row each, with the counts of its flows in the
 * table (the flow table counts the same frames as the port counters while
 * it has not evicted them); what the table no longer holds stays in a row
 * of its own, namespace unknown.
 */
#ifndef PS_PORTVIEW_H
#define PS_PORTVIEW_H

#include "lib/container.h"
#include "lib/netns.h"
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
	/* --all-netns */
	int labelled;			/* the row names a namespace (or "?": unknown) */
	const struct netns_entry *ns;	/* where its traffic went; NULL: unknown */
	int split;			/* one of several namespaces of its port:
					 * counts from the flow table, no RST count */
};

struct port_view {
	struct port_row_view *rows;
	size_t n;
	struct snapshot snap;		/* the current reading */
	struct groups gs;		/* listeners, holders */
	int borrowed;			/* gs and nl are a view_sockets' (not freed here) */
	double sockets_age;		/* s since gs was read (a view_sockets') */
	double interval;		/* seconds between the readings */
	__u64 now_ns;			/* CLOCK_MONOTONIC at the reading */
	double pps, bps, new_ps;	/* totals */
	int all_netns;			/* rows by namespace, gs of every namespace */
	struct netns_list nl;		/* all_netns: the namespaces, their addresses */
};

struct view_opts {
	__u16 port;		/* 0: all */
	__u8 proto;		/* 0: all */
	int all_ports;		/* do not fold ephemeral ports */
	int sort;		/* enum sort_key, or SORT_FLOWS */
	int all_netns;		/* listeners of every network namespace, joined by address */
};

#define SORT_FLOWS 10

/*
 * The socket side of the view kept across refreshes (--all-netns): every
 * namespace's listeners, holders and established counts. Read again once
 * older than 100 times what reading them cost in CPU (and at every
 * refresh when that is shorter than the interval), so it takes at most 1%
 * of a core however many namespaces and processes a host has: on a busy
 * host a new listener shows within that time.
 */
struct view_sockets {
	struct groups gs;
	struct netns_list nl;
	struct est_table *est;
	double at;		/* CLOCK_MONOTONIC s of the reading */
	double cost;		/* CPU s it took */
	int valid;
};
void view_sockets_free(struct view_sockets *sk);

/* Build the view from the current reading `cur` (taken over by the view)
 * and the previous one (may be NULL: rates are 0); keep: the socket side
 * kept across refreshes (NULL: read afresh). */
int view_build(struct port_view *v, struct snapshot *cur, const struct snapshot *prev,
	       double interval, const struct view_opts *o, struct view_sockets *keep);
void view_free(struct port_view *v);
/* Order a reading as view_build wants its `prev` (by protocol and port). */
void view_prepare(struct snapshot *s);

/* The live loop's steps: a first reading, then each interval a view of
 * what changed since the last one, which the view then replaces. */
struct view_clock {
	struct snapshot prev;
	double t_prev;		/* CLOCK_MONOTONIC seconds of prev */
	struct view_sockets sk;	/* --all-netns */
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
/* "4242 nginx, 4243 nginx +1 holder; portscope round-robin"; with
 * --all-netns led by the namespace and container: "c1 docker:web: 4242 …" */
void view_listeners(const struct port_row_view *r, char *buf, size_t len);
/* The container of a row's first listener's server, if it is in one. */
int view_row_container(const struct port_row_view *r, struct container *c);

/* portview_ns.c: the rows split by namespace (all_netns); established
 * connections per (namespace, port). */
struct est_table;
struct est_table *est_collect(const struct netns_list *nl);
__u32 est_count(const struct est_table *t, __u64 netns, __u16 port);
void est_free(struct est_table *t);
int view_split_netns(struct port_view *v, const struct snapshot *prev, __u64 active_since);

#endif
