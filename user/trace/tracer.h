/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The conflicts tracer (bpf/conflicts.bpf.c): open → set the namespace
 * filter → load → attach the three sys_exit tracepoints → poll the ring
 * buffer. Needs CAP_BPF and CAP_PERFMON, and tracefs (mounted on
 * /sys/kernel/tracing when missing, as bpftool does for bpffs).
 */
#ifndef PS_TRACER_H
#define PS_TRACER_H

#include <stddef.h>
#include <linux/types.h>
#include "conflicts.h"
#include "lib/netns.h"	/* netns_self */

/* Called for each event; a non-zero return stops the poll and is returned. */
typedef int (*conflict_cb)(void *ctx, const struct ps_conflict_event *e);

struct tracer {
	struct conflicts_bpf *skel;
	struct ring_buffer *rb;
	conflict_cb cb;
	void *ctx;
};

struct conflict_count {
	struct ps_conflict_key key;
	__u64 n;
};

/* The capabilities to load and attach it: CAP_BPF and CAP_PERFMON, and
 * CAP_SYS_ADMIN where kernel.perf_event_paranoid is above 2 (Debian's
 * kernels default to 3 and then refuse every perf event, tracepoints
 * included, without it). 0, or -EPERM after one line. */
int tracer_require_caps(void);

/* netns: the namespace inode to report, 0 for every namespace; cb NULL:
 * count only, no events (metrics). 0, or -errno after one line on stderr. */
int tracer_open(struct tracer *t, __u32 netns, conflict_cb cb, void *ctx);
/* Events for up to timeout_ms: how many, or -errno (-EINTR is 0). */
int tracer_poll(struct tracer *t, int timeout_ms);
/* The reason counters, summed over CPUs. */
int tracer_reasons(const struct tracer *t, __u64 out[PS_C_MAX]);
/* Every (op, errno, proto, family, port) counted; *out is malloc'd. */
int tracer_counts(const struct tracer *t, struct conflict_count **out, size_t *n);
void tracer_close(struct tracer *t);

const char *conflict_reason_name(int r);

#endif
