/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Offline: run the real XDP observer over a capture with BPF_PROG_TEST_RUN. */
#ifndef PS_REPLAY_H
#define PS_REPLAY_H

#include <stdint.h>
/* pcap/bpf.h (classic BPF) clashes with linux/bpf.h: take only the DLTs */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/dlt.h>
#include <pcap/pcap.h>
#include "observe/observer.h"

struct replay_stats {
	uint64_t packets;	/* records read from the file */
	uint64_t runts;		/* < 14 bytes: test_run refuses them */
	uint64_t snapped;	/* captured shorter than on the wire */
	uint64_t run_errors;	/* test_run failed (too big for the kernel) */
	int dlt;
};

/* Largest frame test_run takes for XDP with fragments: 17 pages + linear. */
#define REPLAY_MAX_FRAME (64 * 1024 + 8 * 1024)

/* Open a capture and check its link type; NULL (message printed) if unusable. */
pcap_t *replay_open(const char *path);
/* Every frame of the capture through the loaded observer. -EINVAL: damaged
 * file (message printed); other negative errno: system failure. */
int replay_run(pcap_t *pc, struct observer *ob, struct replay_stats *rs);
/* One Ethernet frame through the observer; returns the XDP verdict or -errno. */
int replay_frame(int prog_fd, const void *frame, uint32_t len);

#endif
