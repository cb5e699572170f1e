/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A failing bind(), listen() or connect() explained: who holds the port
 * (sock_diag in the caller's network namespace, /proc for the processes,
 * pidfd_getfd for their SO_REUSEADDR/SO_REUSEPORT), or for connect() the
 * destination's source ports (sockets/ephemeral.h), and the reason in words
 * by the kernel's rules (conflict_reason: pure, unit-tested).
 */
#ifndef PS_CONFLICT_H
#define PS_CONFLICT_H

#include <stddef.h>
#include <sys/types.h>
#include "conflicts.h"
#include "sockets/ephemeral.h"
#include "trace/bindscan.h"

#define CONFLICT_HOLDERS 8

struct conflict_holder {
	struct sock_info sk;
	pid_t pid;		/* the process serving it, else its first holder; 0: none */
	char comm[16];
	__u32 nprocs;		/* processes holding it */
	int reuseaddr;		/* SO_REUSEADDR: 1, 0, -1 unknown */
	int reuseport;		/* SO_REUSEPORT: 1, 0, -1 unknown */
};

/* The range as connect() and bind(0) see it, for EADDRNOTAVAIL and bind(0). */
struct conflict_range {
	int known;
	__u16 lo, hi;
	__u32 usable, held, in_use;	/* eph_view's */
	__u32 ports, free;		/* toward the destination (connect) */
	__u32 state[EPH_STATES];
	int held_exact;
};

struct conflict {
	struct ps_conflict_event ev;
	struct conflict_holder h[CONFLICT_HOLDERS];	/* the conflicting one first */
	size_t nh;
	size_t nsockets;	/* sockets overlapping on the port, all told */
	struct conflict_range r;
	int cap_bind;		/* the caller had CAP_NET_BIND_SERVICE: 1, 0, -1 unknown */
	int visible;		/* the caller's namespace could be read */
	char cgroup[160];
	char reason[600];	/* prefix, holder, why, more: room for the longest */
};

/* The same conflict again within a second reuses what was found. */
#define EXPLAIN_CACHE 8
#define EXPLAIN_TTL_NS 1000000000ULL

struct explainer {
	struct {
		struct conflict c;
		__u64 until_ns;
	} cache[EXPLAIN_CACHE];
	size_t next;		/* slot to fill next */
	struct bindscan bs;
	int have_bs;
	__u32 self_ns;		/* this process's network namespace */
	struct {
		__u32 ino;
		int fd;
	} ns[16];		/* other namespaces seen, by inode */
	size_t nns;
	int home;		/* our namespace, to come back to */
};

int explainer_init(struct explainer *x);
void explainer_free(struct explainer *x);
/* Everything about event e, at once (the caller may exit soon). */
void conflict_explain(struct explainer *x, struct conflict *c, const struct ps_conflict_event *e);
/* c->reason from c->ev, c->h, c->r (pure). */
void conflict_reason(struct conflict *c);

/* Do the asker's and a holder's addresses overlap (the kernel's bind
 * rules: wildcards, dual-stack [::], v4-mapped, v6only, devices)? */
int conflict_overlap(const struct ps_conflict_event *e, const struct sock_info *s);

const char *errno_name(int err);
const char *op_name(int op);
/* "0.0.0.0:80" for the asked address of an event */
const char *conflict_addr(const struct ps_conflict_event *e, char *buf, size_t len);

#endif
