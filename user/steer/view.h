/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* portscope's steering of a group, read-only: what groups, top, metrics,
 * steer status and the demo show. Reads maps; changes nothing. */
#ifndef PS_STEER_VIEW_H
#define PS_STEER_VIEW_H

#include "portscope.h"
#include "sockets/groups.h"
#include "steer/config.h"

struct steer_member {
	__u32 slot;
	struct ps_slot_info info;
	struct ps_slot_stats st;	/* summed over CPUs */
	__s64 active;			/* established connections (least-conn) */
	__u64 flows_held;		/* UDP: flows on it, not idle (flow table) */
	__u64 flows_recent;		/* UDP: of those, placed in the last second */
};

struct steer_view {
	int steered;			/* 0: not steered by portscope */
	int incomplete;			/* a loader died half-way: 'portscope cleanup' */
	__u32 policy;
	struct steer_mode mode;		/* policy, protocol, UDP modes */
	__u32 flow_capacity;		/* UDP flow table: max_entries */
	__u64 flow_entries;		/* entries now (evicted = inserts - entries) */
	struct steer_member m[PS_MAX_MEMBERS];
	size_t n;
	__u64 reasons[PS_S_MAX];
};

/* Fill v for the group g (v->steered = 0 when portscope does not steer it). */
int steer_view_of(const struct group *g, struct steer_view *v);
const struct steer_member *steer_member_of(const struct steer_view *v, __u64 cookie);
/* Flows LRU evicted since the group was steered. */
__u64 steer_flows_evicted(const struct steer_view *v);

/* Every group steered on this host, by its pin directory's name. */
struct steer_named_view {
	char name[256];
	struct steer_view v;
};
/* *out is malloc'd (NULL when none). 0 or -errno. */
int steer_views_all(struct steer_named_view **out, size_t *n);

#endif
