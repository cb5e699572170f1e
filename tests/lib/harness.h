/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Runs one frame through the real observer (BPF_PROG_TEST_RUN) and reports
 * what it did, read back from its maps: which class and event counters moved,
 * and the one port row and flow row it wrote (both maps are emptied after
 * each run, so every run starts from empty tables).
 */
#ifndef PS_HARNESS_H
#define PS_HARNESS_H

#include "observe/maps.h"
#include "observe/observer.h"

struct harness {
	struct observer ob;
	struct map_fds fds;
	__u64 reasons[PS_R_MAX];	/* before the next run */
	__u32 wire;			/* replay: the next frames' wire length
					 * (an observer loaded with .replay); 0: none */
};

struct observed {
	int verdict;		/* XDP verdict, or -errno from test_run */
	int cls;		/* the class that moved; -1: none or several */
	int event;		/* the event that moved (not flow_*); PS_R_MAX: none */
	__u64 flow_new, flow_fail;
	size_t nports, nflows;	/* rows written by this frame */
	struct port_row port;
	struct flow_row flow;
};

int harness_open(struct harness *h, const struct observer_opts *o);
int harness_run(struct harness *h, const void *frame, size_t len, struct observed *out);
/*
 * The fast variant for long runs: instead of dumping the tables (a walk over
 * every bucket), look up the rows under `key` (the flow the caller expects)
 * and delete them; flow_new tells whether anything else was inserted.
 * nflows/nports are 1 when the expected row was found.
 */
int harness_run_key(struct harness *h, const void *frame, size_t len,
		    const struct ps_flow_key *key, struct observed *out);
/* Empty the port and flow tables and take the reasons as the new base. */
int harness_clear(struct harness *h);
void harness_close(struct harness *h);

/* Tests must not skip in CI: 1 when running as root can load BPF. */
int harness_can_run(void);

#endif
