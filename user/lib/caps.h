/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Capabilities a command needs, checked before it touches anything. */
#ifndef PS_CAPS_H
#define PS_CAPS_H

enum {
	NEED_BPF = 1,		/* CAP_BPF (or CAP_SYS_ADMIN): load programs, maps */
	NEED_NET_ADMIN = 2,	/* CAP_NET_ADMIN: attach XDP, sock_diag of others */
	NEED_PTRACE = 4,	/* CAP_SYS_PTRACE: pidfd_getfd on other processes */
	NEED_PERFMON = 8,	/* CAP_PERFMON: tracepoints, iterators (conflicts, ephemeral) */
	NEED_SYS_ADMIN = 16,	/* CAP_SYS_ADMIN: setns into another network namespace */
};

/* 0, or -EPERM after one line naming the first missing capability. */
int require_caps(int need);

/* CAP_PERFMON (or CAP_SYS_ADMIN): tracing programs (least-conn's tracker);
 * without it the verifier also refuses some pointer arithmetic. */
int have_perfmon(void);

/* One capability (CAP_*) in the effective set: 1, 0; 1 when it cannot be
 * told (the kernel will say). */
int have_cap(int cap);

#endif
