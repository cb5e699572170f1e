/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The ephemeral view, live: each reading of the socket table (and of the
 * bind buckets, when the iterator loads) gives the per-destination model;
 * two readings give new connections/s, the growth of ports in use and the
 * time to exhaustion. Shared by 'ephemeral', top's client screen and the
 * metrics.
 */
#ifndef PS_EPHVIEW_H
#define PS_EPHVIEW_H

#include "sockets/ephemeral.h"
#include "trace/bindscan.h"

enum eph_sort { EPH_SORT_USED, EPH_SORT_SOCKETS, EPH_SORT_NEW, EPH_SORT_PORT };

struct eph_clock {
	struct bindscan bs;
	int have_bs;		/* the bind buckets can be read (CAP_BPF+CAP_PERFMON) */
	struct eph_filter f;
	struct eph_view prev;
	int have_prev;
	double t_prev;		/* CLOCK_MONOTONIC seconds of prev */
};

/* Open the bind-bucket scan (quietly without it) and take a first reading. */
int ephview_start(struct eph_clock *c, const struct eph_filter *f);
/* A new reading with rates since the previous one. */
int ephview_next(struct eph_clock *c, struct eph_view *v);
/* Done with v: it becomes the previous reading. */
void ephview_done(struct eph_clock *c, struct eph_view *v);
void ephview_stop(struct eph_clock *c);

void ephview_sort(struct eph_view *v, enum eph_sort k);
int parse_eph_sort(const char *s, void *field);
/* "3m20s", "now" (nothing free), "-" (not growing) */
const char *eph_eta(const struct eph_dest *d, char *buf, size_t len);
/* "4242 portfill (100), 4243 curl (2) +3" */
void eph_processes(const struct eph_dest *d, char *buf, size_t len);

#endif
