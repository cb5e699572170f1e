/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Network namespaces: the one a command works in (--netns NAME|PATH|PID),
 * and every one on the host (--all-netns), found as lsns finds them:
 * /proc/PID/ns/net of every process, plus the bind mounts under /run/netns
 * (ip netns) and /run/docker/netns (Docker's sandboxes), which name them.
 *
 * Entering another namespace (setns) takes CAP_SYS_ADMIN. Only the network
 * namespace changes: /proc, bpffs and the pins stay the host's, and sockets
 * opened afterwards (sock_diag, netlink, ioctl) are the namespace's.
 */
#ifndef PS_NETNS_H
#define PS_NETNS_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>
#include "lib/json_writer.h"
#include "lib/params.h"

#define NETNS_RUN "/run/netns"
#define NETNS_DOCKER "/run/docker/netns"

/* --netns, as parsed: checked to be a network namespace when given. */
struct netns_sel {
	const char *spec;	/* as given; NULL: the namespace portscope runs in */
	char path[PATH_MAX];	/* what was opened */
	int fd;			/* open on it (when spec) */
	__u64 ino;
};

/* The option's parser (OPT_FUNC, field: struct netns_sel): a name under
 * /run/netns (or /run/docker/netns), a path (/proc/PID/ns/net, a bind
 * mount), or a pid. -EINVAL after one line when it is none of these. */
int parse_netns(const char *arg, void *field);

/* The shared option rows. */
#define NETNS_HELP "work in network namespace NS: a name under /run/netns,\n" \
		   "a path (/proc/PID/ns/net, /run/docker/netns/ID) or a\n" \
		   "PID's namespace (entering one takes CAP_SYS_ADMIN)"
#define OPT_NETNS_ROW(st, f) { "netns", 'N', OPT_FUNC, OPTF(st, f), "NS", NETNS_HELP, \
			       .parse = parse_netns, .values = "@netns" }
#define OPT_ALL_NETNS_ROW(st, f, help) { "all-netns", 0, OPT_FLAG, OPTF(st, f), NULL, help }

/* How a command takes --all-netns (netns_choose's flags). */
enum {
	NETNS_VISITS = 1,	/* it enters every namespace (CAP_SYS_ADMIN) */
	NETNS_FROM = 2,		/* --netns NS too: it works in NS, and sees all */
};

/* The command's namespace: --netns and --all-netns refused together
 * (unless NETNS_FROM); CAP_SYS_ADMIN checked when another namespace is to
 * be entered. 0, or -EINVAL / -EPERM after one line. */
int netns_check(const struct netns_sel *sel, int all, int flags);
/* sel's namespace entered for the rest of the process (nothing when it
 * is this one, or none was given). 0, or -EPERM after one line. */
int netns_enter(const struct netns_sel *sel);
/* Both: what most commands do first. */
int netns_choose(const struct netns_sel *sel, int all, int flags);

/* The inode of the calling thread's network namespace. */
__u64 netns_self(void);

struct netns_entry {
	__u64 ino;
	char name[64];		/* its name under /run/netns or /run/docker/netns, or "" */
	char path[96];		/* to open it: the bind mount, or /proc/PID/ns/net */
	pid_t pid;		/* a process in it (0: only bind-mounted) */
	int self;		/* the namespace portscope works in */
};

struct netns_addr {
	__u32 addr[4];		/* network order; IPv4 in addr[0] */
	__u8 family;		/* 4 or 6 */
	__u32 idx;		/* its namespace in the list */
};

struct netns_list {
	struct netns_entry *v;	/* sorted by inode */
	size_t n;
	struct netns_addr *addrs;	/* netns_list_addrs: sorted */
	size_t naddrs;
};

/* Every network namespace on the host. 0 or -errno. */
int netns_list_all(struct netns_list *l);
/* Only the named ones (bind mounts): to label rows, not to visit. */
int netns_list_names(struct netns_list *l);
void netns_list_free(struct netns_list *l);
const struct netns_entry *netns_find(const struct netns_list *l, __u64 ino);
/* Call fn(ctx) inside e's namespace, then come back. -ENOENT when the
 * namespace went away meanwhile; else fn's result. */
int netns_visit(const struct netns_entry *e, int (*fn)(void *ctx), void *ctx);
/* The addresses of every namespace's interfaces (loopback left out). */
int netns_list_addrs(struct netns_list *l);
/* The namespace an address lives in, or NULL. One in the namespace
 * portscope works in wins; else the first by inode. */
const struct netns_entry *netns_of_addr(const struct netns_list *l, __u8 family, const __u32 addr[4]);
/* "c1", or "net:4026532001" when it has no name ("?": e NULL). */
const char *netns_label(const struct netns_entry *e, char *buf, size_t len);
/* "netns": {"inode": N, "name": "c1" or null} (e may be NULL). */
void netns_json(json_writer_t *w, const struct netns_entry *e, __u64 ino);

#endif
