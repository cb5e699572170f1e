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
	uint64_t snapped;	/* captured shorter than on the wire (snap length) */
	uint64_t oversize;	/* longer than test_run takes: its first max_frame
				 * bytes given, with the record's length */
	uint64_t run_errors;	/* test_run failed */
	uint32_t max_frame;	/* the kernel's test_run limit, probed */
	int dlt;
};

/* Open a capture and check its link type; NULL (message printed) if unusable. */
pcap_t *replay_open(const char *path);
/* Every frame of the capture through the observer, loaded with .replay set.
 * -EINVAL: damaged file (message printed); other negative errno: system failure. */
int replay_run(pcap_t *pc, struct observer *ob, struct replay_stats *rs);
/* One Ethernet frame through the observer; returns the XDP verdict or -errno.
 * replay_frame_wire also says the frame's length on the wire (metadata for
 * an observer loaded with .replay); wire 0: its own length. */
int replay_frame(int prog_fd, const void *frame, uint32_t len);
int replay_frame_wire(int prog_fd, const void *frame, uint32_t len, uint32_t wire);
/* The largest frame test_run takes for an XDP program (with or without
 * multi-buffer support), probed once with an empty program; 0 on failure. */
uint32_t replay_max_frame(int has_frags);

#endif
