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
	int incomplete;			/* a loader died half-way: 'portscope cleanup' */
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

struct weight_arg {
	__u64 cookie;	/* 0: by pid */
	pid_t pid;
	__u32 w;
};
/* "PID=W" or "cookie:C=W", W 0..1000: 0, or -EINVAL after one line. */
int parse_weight(const char *s, struct weight_arg *w);
int cmd_steer(int argc, char **argv);
/* cleanup's part: steering state of closed groups, and of loaders that died
 * half-way (their group back on the kernel's hash). Returns what it removed. */
int steer_cleanup(void);

#endif
