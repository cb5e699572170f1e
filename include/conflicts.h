/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The ABI of the client side: the conflicts tracer (bpf/conflicts.bpf.c)
 * and the bind-bucket scan (bpf/bindscan.bpf.c), shared with userspace
 * (user/trace/). Fixed-width types, explicit padding, keys zeroed first.
 */
#ifndef PS_CONFLICTS_H
#define PS_CONFLICTS_H

#ifdef __bpf__
/* vmlinux.h provides __u8 … __u64 */
#else
#include <linux/types.h>
#endif

/* The system call that failed. */
enum ps_conflict_op {
	PS_OP_BIND = 1,
	PS_OP_LISTEN = 2,
	PS_OP_CONNECT = 3,
};

/* ev.flags */
#define PS_EV_SOCKET  1u	/* the fd was resolved to its socket: sk_* fields valid */
#define PS_EV_ADDR    2u	/* the sockaddr was read (bind, connect) */
#define PS_EV_REUSE   4u	/* SO_REUSEADDR set on the socket */
#define PS_EV_REUSEPORT 8u	/* SO_REUSEPORT set on the socket */
#define PS_EV_V6ONLY  16u	/* IPV6_V6ONLY */

/*
 * One failing bind(), listen() or connect(), sent through the ring buffer at
 * the system call's exit. addr/port: what was asked — the local address for
 * bind() and listen() (listen: the socket's own), the remote one for
 * connect(); laddr/lport: the socket's local address and port.
 */
struct ps_conflict_event {
	__u64 ts_ns;		/* bpf_ktime_get_ns() */
	__u64 cgroup_id;	/* cgroup v2 id of the caller */
	__u32 pid;		/* tgid */
	__u32 tid;
	__u32 uid;		/* the caller's */
	__u32 gid;
	__u32 netns;		/* network namespace inode (the socket's) */
	__u32 err;		/* errno, positive */
	__u32 fd;
	__u32 sk_uid;		/* the socket's owner (sk_uid) */
	__u32 addr[4];		/* network order; IPv4 in addr[0] */
	__u32 laddr[4];
	__u16 port;		/* host order */
	__u16 lport;
	__u8 op;		/* enum ps_conflict_op */
	__u8 family;		/* 4 or 6 (the socket's; v4-mapped stays 6) */
	__u8 proto;		/* IPPROTO_TCP, IPPROTO_UDP, … (the socket's) */
	__u8 flags;		/* PS_EV_* */
	__s32 bound_dev_if;	/* SO_BINDTODEVICE, 0: none */
	__u32 prot_sock;	/* net.ipv4.ip_unprivileged_port_start there */
	__u32 inode;		/* the socket's inode (to tell it from holders) */
	__u32 pad;
	char comm[16];
};

/* Conflicts counted in the kernel, exact even when events are dropped. */
struct ps_conflict_key {
	__u8 op;
	__u8 err;
	__u8 proto;
	__u8 family;
	__u16 port;		/* asked (host order); folded by userspace */
	__u16 pad;
};

#define PS_CONFLICT_KEYS 8192	/* distinct keys counted; beyond: counted by reason */

/*
 * What the tracer did with each failing call it saw. Every failing call
 * with a port errno lands in exactly one of the first six; the last two
 * are counted on top.
 */
#define PS_CONFLICT_REASONS(X)                                               \
	X(EVENTS, "events")		/* sent to userspace */              \
	X(COUNTED, "counted_only")	/* counted, not sent (metrics) */    \
	X(RINGBUF_FULL, "dropped_ringbuf_full")	/* lost: userspace too slow */ \
	X(OTHER_NETNS, "skipped_other_netns")	/* not the namespace asked for */ \
	X(NOT_INET, "skipped_not_inet")	/* AF_UNIX and other families */    \
	X(NOT_PORT, "skipped_not_port_reason") /* EACCES at or above        \
					  ip_unprivileged_port_start */      \
	X(NO_SOCKET, "event_without_socket")	/* fd not resolved (closed) */ \
	X(KEYS_FULL, "count_table_full")	/* counted in events only */

#define PS_ENUM_ENTRY(id, name) PS_C_##id,
enum ps_conflict_reason {
	PS_CONFLICT_REASONS(PS_ENUM_ENTRY)
	PS_C_MAX
};
#undef PS_ENUM_ENTRY

/* bindscan: one record per TCP socket the iterator walks (listening,
 * established and TIME_WAIT tables of the caller's namespace). */
struct ps_bind_rec {
	__u16 lport;		/* host order */
	__u8 state;		/* TCP state */
	__s8 fastreuse;		/* of the port's bind bucket: >= 0 made by bind() */
	__s8 fastreuseport;	/* (or listen()); -1: made by connect() */
	__u8 pad[3];
};

#endif /* PS_CONFLICTS_H */
