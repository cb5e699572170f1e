/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The kernel's socket table and who holds each socket:
 * - sock_diag (NETLINK_SOCK_DIAG, through libmnl): TCP and UDP sockets of the
 *   current network namespace with address, port, queues, inode and cookie;
 * - /proc/PID/fd: the processes holding each socket inode, and which of them
 *   serves it: the one whose epoll instance watches it (fdinfo "ino:"), else
 *   the one blocked in accept() on it, else the only holder.
 */
#ifndef PS_SOCKETS_H
#define PS_SOCKETS_H

#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

struct sock_info {
	__u8 proto;		/* IPPROTO_TCP / IPPROTO_UDP */
	__u8 family;		/* AF_INET / AF_INET6 */
	__u8 state;		/* TCP state (UDP: 7 = unconnected, 1 = connected) */
	__u32 addr[4];		/* local, network order */
	__u16 port;		/* local, host order */
	__u32 raddr[4];
	__u16 rport;
	__u32 ifindex;		/* SO_BINDTODEVICE, or 0 */
	__u64 cookie;		/* SO_COOKIE */
	__u32 inode;
	__u32 uid;		/* the socket's owner (sk_uid) */
	__u8 v6only;		/* IPV6_V6ONLY (IPv6 sockets) */
	__u32 rqueue;		/* listener: accept queue length; else bytes queued */
	__u32 wqueue;		/* listener: backlog */
	__u64 netns;		/* the network namespace it lives in (inode) */
};

#define TCP_ESTABLISHED_ 1
#define TCP_LISTEN_ 10
#define UDP_UNCONNECTED_ 7	/* TCP_CLOSE: a bound, unconnected UDP socket */

/* Sockets of `proto` (both families) in the states of `states` (bit per TCP
 * state), in the calling thread's network namespace. *out is malloc'd.
 * Returns 0 or -errno. */
int sockets_dump(__u8 proto, __u32 states, struct sock_info **out, size_t *n);

struct holder {
	__u32 inode;
	pid_t pid;
	int fd;
	int serving;		/* this process serves the socket */
	char comm[16];
};

struct owners {
	struct holder *h;	/* sorted by inode, then pid */
	size_t n;
};

/* Scan /proc for holders of the given inodes (any order). */
int owners_scan(struct owners *o, const __u32 *inodes, size_t n);
/* The holders of one inode: a pointer into o->h and their count. */
const struct holder *owners_of(const struct owners *o, __u32 inode, size_t *count);
void owners_free(struct owners *o);

#endif
