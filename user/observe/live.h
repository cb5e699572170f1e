/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The live observer: attached to interfaces through bpf_link (a loader that
 * dies detaches), either for the lifetime of a command (top -i …) or pinned
 * under /sys/fs/bpf/portscope/observe (attach --pin) for later commands.
 */
#ifndef PS_ATTACH_H
#define PS_ATTACH_H

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
/* Open what 'attach --pin' left; -ENOENT when nothing is pinned. */
int live_open_pinned(struct live *l);
/* For the live commands: attach to r's interfaces for this process's life
 * (checked first), or open the pinned observer when r names none. Returns
 * an exit status (EXIT_OK, or after one line on stderr). */
int live_open(struct live *l, const struct attach_req *r);
/* Close: links this process holds (not pinned) detach here. */
void live_close(struct live *l);

/* Pin program, maps and links under OBSERVE_PINS (attach --pin). */
int live_pin(struct live *l);
/* More interfaces for an open observer. */
int live_add_ifaces(struct live *l, const struct attach_req *r);
/* The pinned program's id (0: none); the ifindex of a pinned link (0: its
 * device is gone, or no such pin). */
__u32 live_pinned_prog_id(void);
__u32 live_link_ifindex(const char *ifname);
/* Detach the pinned observer from the interfaces named (all when none):
 * say() is told each; returns how many interfaces are left. */
int live_detach(struct live *l, const struct str_list *want, void (*say)(void *, const char *),
		void *ctx);
/* cleanup's part: links whose device is gone or never pinned, and the pins
 * when no interface is left. Returns how many things were removed. */
int live_cleanup(void (*say)(void *, const char *), void *ctx);

#endif
