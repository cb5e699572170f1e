/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The live observer: attached to interfaces through bpf_link (a loader that
 * dies detaches), either for the lifetime of a command (top -i …) or pinned
 * (attach --pin) for later commands, one observer per network namespace:
 * /sys/fs/bpf/portscope/observe/net<inode>/ (interfaces are named within
 * their namespace: two containers' eth0 never share a pin). An observer
 * pinned by portscope 0.2, flat under observe/, is still read, detached and
 * cleaned up wherever it is found; new ones go under net<inode>/.
 */
#ifndef PS_ATTACH_H
#define PS_ATTACH_H

#include <limits.h>
#include <net/if.h>
#include "observe/maps.h"
#include "observe/observer.h"
#include "lib/params.h"

struct live_iface {
	char name[IF_NAMESIZE];
	int ifindex;
	__u32 mode;		/* XDP_FLAGS_DRV_MODE or XDP_FLAGS_SKB_MODE */
	int link_fd;		/* -1 when the link is only pinned */
};

struct live {
	char dir[PATH_MAX];	/* its pins (attach --pin, or opened pinned) */
	struct observer ob;	/* loaded by this process, or skel NULL */
	int prog_fd;
	struct map_fds fds;
	int info_fd;
	int pinned;		/* the maps come from pins */
	struct live_iface ifs[PS_MAX_IFACES];
	int n;
};

struct attach_req {
	struct str_list ifaces;
	__u32 mode;		/* 0: native, else generic; or forced */
	struct observer_opts oo;
};

/* "native" / "skb" -> XDP_FLAGS_*; -EINVAL with a message otherwise. */
int parse_mode(const char *s, void *mode);
const char *mode_name(__u32 mode);

/* Interfaces exist and are up, and carry no other XDP program: checked
 * before anything is loaded (one line and -EINVAL otherwise). */
int ifaces_check(const struct attach_req *r);
/* Load the observer and attach it to every interface of r. */
int live_attach(struct live *l, const struct attach_req *r);
/* The pin directory of this network namespace's observer: net<inode>/,
 * or a 0.2 observer's (observe/ itself) while one is pinned there. */
void live_dir(char *buf, size_t len);
/* Open what 'attach --pin' left for this namespace (or in dir);
 * -ENOENT when nothing is pinned. */
int live_open_pinned(struct live *l);
int live_open_pinned_at(struct live *l, const char *dir);
/* Every pinned observer's directory, each namespace's and a 0.2 one:
 * fn(ctx, dir, netns inode or 0 when unknown). */
void live_each(void (*fn)(void *ctx, const char *dir, __u64 netns), void *ctx);
/* For the live commands: attach to r's interfaces for this process's life
 * (checked first), or open the pinned observer when r names none. Returns
 * an exit status (EXIT_OK, or after one line on stderr). */
int live_open(struct live *l, const struct attach_req *r);
/* Close: links this process holds (not pinned) detach here. */
void live_close(struct live *l);

/* A pinned observer none of whose links is on a device any more (its
 * namespace is gone, and maybe its inode given to a new one). */
int live_stale(const struct live *l);
/* Pin program, maps and links under l->dir (attach --pin). */
int live_pin(struct live *l);
/* Pin the links of interfaces [from, l->n) (attach to more interfaces). */
int live_pin_links(struct live *l, int from);
/* More interfaces for an open observer. */
int live_add_ifaces(struct live *l, const struct attach_req *r);
/* The id of the program pinned in dir (NULL: this namespace's; 0: none);
 * the ifindex of a pinned link (0: its device is gone, or no such pin). */
__u32 live_pinned_prog_id(const char *dir);
__u32 live_link_ifindex(const char *dir, const char *ifname);
/* Detach the pinned observer from the interfaces named (all when none):
 * say() is told each; returns how many interfaces are left. */
int live_detach(struct live *l, const struct str_list *want, void (*say)(void *, const char *),
		void *ctx);
/* cleanup's part, for every namespace's observer: links whose device is
 * gone (a namespace deleted takes its devices) or never pinned, and the
 * pins when no interface is left. Returns how many things were removed. */
int live_cleanup(void (*say)(void *, const char *), void *ctx);

#endif
