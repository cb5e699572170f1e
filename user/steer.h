/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Steering SO_REUSEPORT groups (bpf/steer.bpf.c) from userspace. */
#ifndef PS_STEER_H
#define PS_STEER_H

#include "groups.h"
#include "portscope.h"

/* portscope's steering of one group, as status and groups show it. */
struct steer_member {
	__u32 slot;
	struct ps_slot_info info;
	struct ps_slot_stats st;	/* summed over CPUs */
	__s64 active;			/* established connections (least-conn) */
};

struct steer_view {
	int steered;			/* 0: not steered by portscope */
	__u32 policy;
	struct steer_member m[PS_MAX_MEMBERS];
	size_t n;
	__u64 reasons[PS_S_MAX];
};

/* Fill v for the group g (v->steered = 0 when portscope does not steer it). */
int steer_view_of(const struct group *g, struct steer_view *v);
const struct steer_member *steer_member_of(const struct steer_view *v, __u64 cookie);
const char *policy_name(__u32 policy);
const char *steer_reason_name(int r);

/* "round-robin" -> PS_POL_RR …; -1 when unknown. */
int parse_policy(const char *s);
int cmd_steer(int argc, char **argv);

#endif
