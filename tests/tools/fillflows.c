// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fillflows: put N synthetic flows (and their ports) into the pinned
 * observer's tables (this network namespace's), for measuring what reading
 * a full table costs.
 *   fillflows N [PORTS]      flows spread over PORTS destination ports (20)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "portscope.h"

/* observe/net<inode>/flows, or a 0.2 observer's observe/flows */
static int open_flows(void)
{
	struct stat st;
	char path[96];
	int fd = -1;

	if (!stat("/proc/thread-self/ns/net", &st)) {
		snprintf(path, sizeof(path), "/sys/fs/bpf/portscope/observe/net%lu/flows", (unsigned long)st.st_ino);
		fd = bpf_obj_get(path);
	}
	return fd >= 0 ? fd : bpf_obj_get("/sys/fs/bpf/portscope/observe/flows");
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? atoi(argv[1]) : 65536, nports = argc > 2 ? atoi(argv[2]) : 20, i;
	int flows = open_flows();
	struct ps_flow_key k;
	struct ps_flow_stats v = { .packets = 3, .bytes = 180, .first_ns = 1, .last_ns = 1 };

	if (flows < 0 || !nports) {
		perror("fillflows: the pinned observer's flows");
		return 1;
	}
	for (i = 0; i < n; i++) {
		memset(&k, 0, sizeof(k));
		k.family = 4;
		k.proto = 6;
		k.saddr[0] = __builtin_bswap32(0x0a000000 | (i >> 8));	/* 10.x.y.z */
		k.daddr[0] = __builtin_bswap32(0x0a630001);
		k.sport = 1024 + (i & 0xff) * 200 + i % 200;
		k.dport = 8000 + i % nports;
		if (bpf_map_update_elem(flows, &k, &v, BPF_ANY)) {
			perror("fillflows: update");
			return 1;
		}
	}
	printf("%u flows\n", n);
	return 0;
}
