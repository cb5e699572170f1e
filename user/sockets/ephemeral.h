/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The client side of a port: local (ephemeral) source ports in use per
 * destination, and what the kernel has left for each.
 *
 * A connection is its 4-tuple (plus protocol). connect() picks a source
 * port from net.ipv4.ip_local_port_range, skipping ip_local_reserved_ports
 * and every port whose bind bucket bind() made, and takes any other port
 * whose 4-tuple toward this destination is unused — so one source port
 * serves many destinations, and one destination (local address → remote
 * address:port) can have at most the range's usable ports. It scans the
 * range's even ports first (the range's low parity) and leaves the odd
 * ones to bind(port 0), which scans them first. A bind() before connect()
 * (without IP_BIND_ADDRESS_NO_PORT) takes its port from the whole range,
 * for every destination. UDP shares nothing: a bound UDP socket holds its
 * port for every destination (SO_REUSEADDR aside).
 */
#ifndef PS_EPHEMERAL_H
#define PS_EPHEMERAL_H

#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>
#include "sockets/sockets.h"

#define EPH_STATES 14		/* TCP states by number; [7] CLOSE: UDP connected */
#define EPH_OWNERS 4		/* processes named per destination */

struct eph_sysctl {
	__u16 lo, hi;		/* ip_local_port_range, inclusive */
	int tw_reuse;		/* net.ipv4.tcp_tw_reuse: 0, 1, 2 (loopback only) */
	__u64 reserved[1024];	/* ip_local_reserved_ports, a bit per port */
};

struct eph_owner {
	pid_t pid;
	char comm[16];
	__u32 n;		/* sockets toward the destination it holds */
};

struct eph_dest {
	__u8 proto;		/* IPPROTO_TCP / IPPROTO_UDP */
	__u8 family;		/* 4 or 6 */
	__u32 laddr[4];		/* network order */
	__u32 raddr[4];
	__u16 rport;
	__u32 state[EPH_STATES];	/* sockets by TCP state */
	__u32 sockets;
	__u32 ports;		/* distinct local ports in use toward it */
	__u32 free, free_even, free_odd;	/* ports connect() could still use */
	double used;		/* 1 - free / usable (range minus reserved) */
	__u16 *lports;		/* sorted, distinct (for the next reading's diff) */
	size_t *socks;		/* its sockets: indices into the table built from */
	struct eph_owner owner[EPH_OWNERS];	/* most sockets first */
	__u32 nowners;		/* processes in all */
	double new_ps;		/* 4-tuples not in the previous reading, per second */
	double growth_ps;	/* ports in use: change per second */
	double eta_s;		/* free / growth_ps, or -1: not growing */
};

struct eph_view {
	struct eph_sysctl sc;
	struct eph_dest *d;
	size_t n;
	__u32 range;		/* ports in the range */
	__u32 usable;		/* range minus reserved */
	__u32 even, odd;	/* usable, by parity */
	__u32 held_tcp;		/* usable ports bind() holds (TCP): closed to every connect() */
	__u32 held_udp;		/* usable ports bound by UDP sockets */
	__u32 in_use;		/* usable TCP ports any socket has (bind(0) needs
				 * one nobody has) */
	int held_exact;		/* held_tcp from the bind buckets (else listeners and
				 * bound-only sockets: connected sockets that bound
				 * first are not seen) */
	double max_used;	/* the highest `used` of any destination */
	size_t nsockets;
};

/* Filters of a collection; zeroes: everything. */
struct eph_filter {
	__u8 proto;
	__u8 family;		/* of `to`, when to_set */
	int to_set;
	__u32 to[4];		/* remote address */
	__u16 rport;		/* remote port */
};

/* The sysctls of the current network namespace; 0 or -errno. */
int eph_sysctl_read(struct eph_sysctl *sc);
/* "1000-1010,2000" into a bitmap; 0 or -EINVAL. */
int eph_parse_reserved(const char *s, __u64 bits[1024]);

/*
 * The model from a socket table (pure: no system calls). held: ports whose
 * bind bucket bind() made (bindscan), or NULL. Sockets are of both
 * protocols; states as sock_diag reports them.
 */
int eph_build(struct eph_view *v, const struct eph_sysctl *sc, const struct sock_info *s,
	      size_t n, const __u64 *held, const struct eph_filter *f);
/* Rates against the previous view of the same destinations (secs apart). */
void eph_rates(struct eph_view *v, const struct eph_view *prev, double secs);
/* Name the processes holding each destination's sockets. */
void eph_owners(struct eph_view *v, const struct sock_info *s, size_t n, const struct owners *o);
/* A destination's row, or NULL. */
const struct eph_dest *eph_find(const struct eph_view *v, __u8 proto, const __u32 raddr[4],
				__u16 rport);
void eph_free(struct eph_view *v);

/* Dump the current namespace's TCP and UDP sockets (every state, bound-only
 * TCP sockets on 6.9+), read the sysctls, build, name owners. */
int eph_collect(struct eph_view *v, const __u64 *held, const struct eph_filter *f);

const char *tcp_state_name(int state);

#endif
