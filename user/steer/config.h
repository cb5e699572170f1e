/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What a 'steer' asks for, and the configuration the program reads, built
 * from the slots by pure functions (no maps, no sockets: tests/unit).
 */
#ifndef PS_STEER_CONFIG_H
#define PS_STEER_CONFIG_H

#include <sys/types.h>
#include "portscope.h"
#include "sockets/groups.h"

struct weight_arg {
	__u64 cookie;	/* 0: by pid */
	pid_t pid;
	__u32 w;
};

struct weight_list {
	struct weight_arg v[PS_MAX_MEMBERS];
	size_t n;
};

struct pid_list {
	pid_t v[PS_MAX_MEMBERS];
	size_t n;
};

struct steer_req {
	__u16 port;
	__u8 proto;		/* IPPROTO_TCP (default) or IPPROTO_UDP */
	const char *addr;	/* the group's address, when the port has several */
	int policy;		/* -1: unchanged (hash for a new group) */
	struct weight_list weights;
	struct pid_list drain, undrain;
};

/* "round-robin" -> PS_POL_RR …; -1 when unknown. */
int parse_policy(const char *s);
const char *policy_name(__u32 policy);
const char *steer_reason_name(int r);
/* Option parsers: append "PID=W" / "cookie:C=W" (W 0..1000) to a
 * weight_list, a pid to a pid_list. 0, or -EINVAL after one line. */
int parse_weight(const char *s, void *weight_list);
int parse_pid(const char *s, void *pid_list);
int parse_policy_arg(const char *s, void *policy);

/* Smooth weighted round-robin (nginx's) over c->live into c->wheel. */
void build_wheel(struct ps_steer_cfg *c, const struct ps_slot_info *si);
/* The whole configuration for policy from the slots. */
void build_cfg(struct ps_steer_cfg *c, __u32 policy, const struct ps_slot_info *si, __u32 ncpus);
/* Weights and drains of r onto the slots, by pid or socket cookie. */
void apply_args(struct ps_slot_info *si, const struct steer_req *r);
/* Every slot drained or weighted 0: the kernel's hash decides. */
int slots_idle(const struct ps_slot_info *si);

/* Checks of r against the group, before anything changes: 0, or -EINVAL
 * after one line (a pid that serves no member, weights summing to 0,
 * draining every member, least-conn on UDP). */
int steer_req_check(const struct steer_req *r, const struct group *g);

#endif
