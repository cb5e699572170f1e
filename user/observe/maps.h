/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Reading the observer's maps: batched (bpf_map_lookup_batch) with a per-key
 * fallback for kernels or map types without batch ops, per-CPU values summed.
 */
#ifndef PS_MAPS_H
#define PS_MAPS_H

#include <stddef.h>
#include "portscope.h"

struct port_row {
	struct ps_port_key key;
	struct ps_port_stats st;	/* summed over CPUs */
};

struct flow_row {
	struct ps_flow_key key;
	struct ps_flow_stats st;
};

/* One reading of every map. */
struct snapshot {
	struct port_row *ports;
	size_t nports;
	struct flow_row *flows;
	size_t nflows;
	__u32 flow_capacity;		/* max_entries of the flow table */
	__u64 reasons[PS_R_MAX];	/* summed over CPUs */
};

struct map_fds {
	int ports, flows, reasons;
};

/* Raw dump of a map: n keys and n values, each value value_size bytes for
 * shared maps or ncpus × round_up(value_size, 8) for per-CPU maps. */
struct map_dump {
	void *keys, *vals;
	size_t n;
	size_t key_size, val_stride;	/* val_stride: bytes per entry */
};

int map_dump(int fd, struct map_dump *d);
void map_dump_free(struct map_dump *d);
/* Force the per-key path (for tests and benchmarks). */
extern int map_dump_no_batch;

/* The reasons array, summed over CPUs, into out[PS_R_MAX]. */
int reasons_read(int fd, __u64 *out);
int snapshot_read(const struct map_fds *fds, struct snapshot *s);
void snapshot_free(struct snapshot *s);

const char *reason_name(enum ps_reason r);
int reason_is_class(enum ps_reason r);
__u64 snapshot_class_total(const struct snapshot *s);
/* Flow-table fill: what LRU evicted (inserts since load - entries now). */
__u64 flows_evicted(const struct snapshot *s);

#endif
