// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Reading a flow table: bpf_map_lookup_batch against get_next_key + lookup,
 * side by side, on LRU hash maps shaped like the observer's (40-byte keys,
 * 32-byte values) holding 1e4, 1e5 and 1e6 flows. ns per entry, min of 5.
 * JSON lines on stdout.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "lib/log.h"
#include "observe/maps.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double time_dump(int fd, int per_key, size_t want)
{
	double best = 1e18, t;
	struct map_dump d;
	int i;

	map_dump_no_batch = per_key;
	for (i = 0; i < 5; i++) {
		t = now_ns();
		if (map_dump(fd, &d) || d.n != want) {
			fprintf(stderr, "bench_dump: read %zu of %zu\n", d.n, want);
			return -1;
		}
		t = now_ns() - t;
		map_dump_free(&d);
		best = t < best ? t : best;
	}
	map_dump_no_batch = 0;
	return best / want;
}

int main(void)
{
	static const unsigned sizes[] = { 10000, 100000, 1000000 };
	struct ps_flow_stats v = { .packets = 1 };
	struct ps_flow_key k;
	double batch, per_key;
	unsigned s, i;
	int fd;

	log_init(0);
	for (s = 0; s < 3; s++) {
		LIBBPF_OPTS(bpf_map_create_opts, o);

		fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, NULL, sizeof(k), sizeof(v), sizes[s] + sizes[s] / 4, &o);
		if (fd < 0) {
			fprintf(stderr, "bench_dump: cannot create a map (root?)\n");
			return 1;
		}
		for (i = 0; i < sizes[s]; i++) {
			memset(&k, 0, sizeof(k));
			k.family = 4;
			k.proto = 6;
			k.saddr[0] = i;
			k.sport = i >> 16;
			k.dport = 443;
			bpf_map_update_elem(fd, &k, &v, BPF_NOEXIST);
		}
		batch = time_dump(fd, 0, sizes[s]);
		per_key = time_dump(fd, 1, sizes[s]);
		printf("{\"bench\":\"map_dump\",\"flows\":%u,\"batch_ns\":%.1f,\"per_key_ns\":%.1f,\"ratio\":%.1f}\n",
		       sizes[s], batch, per_key, per_key / batch);
		fflush(stdout);
		close(fd);
	}
	return 0;
}
