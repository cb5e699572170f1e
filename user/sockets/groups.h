/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * SO_REUSEPORT groups: listening TCP sockets and bound UDP sockets that
 * share network namespace, protocol, address, port and device, with the
 * processes holding and serving each member.
 */
#ifndef PS_GROUPS_H
#define PS_GROUPS_H

#include "lib/netns.h"
#include "sockets/sockets.h"

struct member {
	struct sock_info sk;
	const struct holder *holders;	/* into groups.own */
	size_t nholders;
	int reuseport;			/* SO_REUSEPORT: 1, 0, or -1 unknown */
};

struct group {
	__u64 netns;			/* the namespace's inode */
	__u8 proto, family;
	__u32 addr[4];
	__u16 port;
	__u32 ifindex;
	struct member *m;
	size_t n;
	__u32 bpf_map_id;	/* a REUSEPORT_SOCKARRAY holding a member, or 0 */
	__u32 bpf_prog_id;	/* the sk_reuseport program using that map, or 0 */
};

struct groups {
	struct group *g;
	size_t n;
	struct owners own;
	struct sock_info *socks;
	size_t nsocks;
	int progs_hidden;	/* listing programs needs CAP_SYS_ADMIN: foreign
				 * steering cannot be seen without it */
};

struct groups_filter {
	__u16 port;		/* 0: any */
	__u8 proto;		/* 0: any */
	int all;		/* also sockets without SO_REUSEPORT */
};

/* The groups of the calling thread's network namespace. */
int groups_collect(struct groups *gs, const struct groups_filter *f);
/* The groups of every namespace of l (entered in turn; one /proc scan for
 * all); one that went away meanwhile is left out. */
int groups_collect_in(struct groups *gs, const struct groups_filter *f, const struct netns_list *l);
void groups_free(struct groups *gs);
/* The member served by `pid` (serving holder), else held by it; NULL if none. */
const struct member *group_member_of(const struct group *g, pid_t pid, size_t from);
const struct holder *member_server(const struct member *m);

#endif
