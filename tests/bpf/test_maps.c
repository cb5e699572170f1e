// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The map reader against real kernel maps: batched and per-key dumps return
 * the same entries; per-CPU values are laid out with a stride of
 * round_up(value_size, 8) per possible CPU and summed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "harness.h"
#include "observe/maps.h"

struct odd_val {	/* 12 bytes: the per-CPU stride is 16 */
	__u32 a, b, c;
};

static int cmp_u32(const void *a, const void *b)
{
	return *(const __u32 *)a < *(const __u32 *)b ? -1 : *(const __u32 *)a > *(const __u32 *)b;
}

static void check_dumps_agree(enum bpf_map_type type, __u32 n)
{
	int ncpu = libbpf_num_possible_cpus(), fd, c, pass;
	size_t per = (sizeof(struct odd_val) + 7) & ~7u;
	char *val = calloc(ncpu, per);
	struct map_dump d[2];
	__u32 k;

	fd = bpf_map_create(type, NULL, 4, sizeof(struct odd_val), n, NULL);
	assert_true(fd >= 0);
	for (k = 0; k < n; k++) {
		for (c = 0; c < ncpu; c++)
			*(struct odd_val *)(val + c * per) = (struct odd_val){ k, c + 1, 7 };
		assert_int_equal(bpf_map_update_elem(fd, &k, val, BPF_ANY), 0);
	}
	for (pass = 0; pass < 2; pass++) {
		map_dump_no_batch = pass;
		assert_int_equal(map_dump(fd, &d[pass]), 0);
		assert_int_equal(d[pass].n, n);
	}
	map_dump_no_batch = 0;
	assert_int_equal(d[0].val_stride, type == BPF_MAP_TYPE_PERCPU_HASH ? ncpu * per
									  : sizeof(struct odd_val));
	/* same set of keys; each value intact on every CPU */
	for (pass = 0; pass < 2; pass++) {
		for (k = 0; k < n; k++) {
			__u32 key = ((__u32 *)d[pass].keys)[k];
			char *v = (char *)d[pass].vals + k * d[pass].val_stride;
			int cpus = type == BPF_MAP_TYPE_PERCPU_HASH ? ncpu : 1;

			for (c = 0; c < cpus; c++) {
				struct odd_val *o = (struct odd_val *)(v + c * per);

				assert_int_equal(o->a, key);
				assert_int_equal(o->b, (__u32)c + 1);
				assert_int_equal(o->c, 7);
			}
		}
		qsort(d[pass].keys, n, 4, cmp_u32);
	}
	assert_memory_equal(d[0].keys, d[1].keys, n * 4);
	map_dump_free(&d[0]);
	map_dump_free(&d[1]);
	free(val);
	close(fd);
}

static void test_hash(void **state)
{
	(void)state;
	check_dumps_agree(BPF_MAP_TYPE_HASH, 5000);
}

static void test_percpu_hash(void **state)
{
	(void)state;
	check_dumps_agree(BPF_MAP_TYPE_PERCPU_HASH, 3000);
}

static void test_empty(void **state)
{
	struct map_dump d;
	int fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, NULL, 4, 8, 1024, NULL);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(map_dump(fd, &d), 0);
	assert_int_equal(d.n, 0);
	map_dump_free(&d);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_percpu_hash),
		cmocka_unit_test(test_empty),
	};

	if (!harness_can_run()) {
		fprintf(stderr, "test_maps: needs root to create BPF maps\n");
		return 1;
	}
	return cmocka_run_group_tests_name("map reader", tests, NULL, NULL);
}
