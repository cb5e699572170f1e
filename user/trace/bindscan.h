/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Local TCP ports closed to connect() because bind() (or listen()) made
 * their bind bucket: read by a TCP socket iterator (bpf/bindscan.bpf.c)
 * over the caller's network namespace. Needs CAP_BPF and CAP_PERFMON.
 */
#ifndef PS_BINDSCAN_H
#define PS_BINDSCAN_H

#include <linux/types.h>

struct bindscan {
	struct bindscan_bpf *skel;
	struct bpf_link *link;
};

/* Load and attach the iterator once; 0 or -errno (quiet: the caller says
 * what the view lacks without it). */
int bindscan_open(struct bindscan *b);
/* held: a bit per port (65536 bits), set when the port's bucket was made
 * by bind(); 0 or -errno. */
int bindscan_read(struct bindscan *b, __u64 held[1024]);
void bindscan_close(struct bindscan *b);

#endif
