/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Conflicts as text lines or JSON lines, and the summary of a run. */
#ifndef PS_RENDER_CONFLICTS_H
#define PS_RENDER_CONFLICTS_H

#include <stdio.h>
#include "trace/conflict.h"
#include "trace/tracer.h"

void conflict_text_header(FILE *f);
void conflict_text(FILE *f, const struct conflict *c);
void conflict_json(FILE *f, const struct conflict *c);

/* Who was seen failing on a key (the summary names them). */
struct conflict_seen {
	struct ps_conflict_key key;
	struct {
		__u32 pid;
		char comm[16];
	} who[3];
	size_t nwho;
};

/* The counts of the run (exact, from the kernel) and the tracer's reasons. */
struct conflict_summary {
	struct conflict_count *counts;
	size_t n;
	__u64 reasons[PS_C_MAX];
	const struct conflict_seen *seen;
	size_t nseen;
	double secs;
};

void conflict_summary_text(FILE *f, const struct conflict_summary *s);
void conflict_summary_json(FILE *f, const struct conflict_summary *s);

#endif
