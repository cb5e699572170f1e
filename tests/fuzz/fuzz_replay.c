// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fuzz target: the replay path. Each input is a capture file (any bytes):
 * libpcap reads it, replay converts every record to Ethernet and runs it
 * through the real observer (BPF_PROG_TEST_RUN, loaded once). A file
 * replay_open refuses is fine; a crash, a leak or UB is not.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "lib/log.h"
#include "observe/observer.h"
#include "observe/replay.h"

static struct observer ob;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct observer_opts o = { .flow_entries = 4096 };

	(void)argc;
	(void)argv;
	log_init(-1);	/* quiet: refused files are expected */
	if (observer_load(&ob, &o)) {
		fprintf(stderr, "fuzz_replay: cannot load the observer (root?)\n");
		exit(1);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct replay_stats rs;
	char path[64];
	pcap_t *pc;
	int fd = memfd_create("capture", MFD_CLOEXEC);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	pc = replay_open(path);
	if (pc) {
		replay_run(pc, &ob, &rs);
		pcap_close(pc);
	}
	close(fd);
	return 0;
}
