/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Open, configure and load the XDP observer (bpf/observe.bpf.c). */
#ifndef PS_OBSERVER_H
#define PS_OBSERVER_H

#include <stddef.h>
#include <stdint.h>
#include "portscope.h"
#include "observe.skel.h"

struct observer_opts {
	uint32_t flow_entries;		/* flow table size; 0: PS_FLOWS_DEFAULT */
	const uint16_t *ports;		/* count only these ports; NULL: all */
	size_t nports;
	int no_flows;			/* per-port counters only */
	int inplace;			/* the program for kernels before 5.18,
					 * whatever this one has (tests) */
	int replay;			/* frames come with their wire length as
					 * metadata (observe/replay.c) */
};

struct observer {
	struct observe_bpf *skel;
	struct bpf_program *prog;	/* observe (5.18+), or observe_inplace */
	int has_frags;			/* loaded with BPF_F_XDP_HAS_FRAGS */
};

/* open → set rodata and map sizes → load → fill the port filter. */
int observer_load(struct observer *ob, const struct observer_opts *o);
void observer_destroy(struct observer *ob);

/* Does the kernel take XDP programs with BPF_F_XDP_HAS_FRAGS (5.18+)? */
int probe_xdp_frags(void);

#endif
