// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "lib/log.h"
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>	/* client requests: no-ops outside valgrind */
#else
#define VALGRIND_MAKE_MEM_DEFINED(addr, len) ((void)(addr), (void)(len))
#endif
#include "observe/maps.h"

int map_dump_no_batch;

#define PS_NAME_ENTRY(id, name) [PS_R_##id] = name,
static const char *const reason_names[PS_R_MAX] = { PS_REASONS(PS_NAME_ENTRY) };

const char *reason_name(enum ps_reason r)
{
	return r < PS_R_MAX ? reason_names[r] : "?";
}

int reason_is_class(enum ps_reason r)
{
	return r <= PS_R_CLASS_LAST;
}

__u64 snapshot_class_total(const struct snapshot *s)
{
	__u64 t = 0;
	int r;

	for (r = 0; r <= PS_R_CLASS_LAST; r++)
		t += s->reasons[r];
	return t;
}

static int is_percpu(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static int grow(struct map_dump *d, size_t cap)
{
	void *k = realloc(d->keys, cap * d->key_size);

	if (!k)
		return -ENOMEM;
	d->keys = k;
	k = realloc(d->vals, cap * d->val_stride);
	if (!k)
		return -ENOMEM;
	d->vals = k;
	return 0;
}

/* Batches of up to `chunk` entries; -ENOSPC (a hash bucket bigger than the
 * batch) doubles it. Returns -EOPNOTSUPP/-EINVAL where batches are missing. */
static int dump_batch(int fd, struct map_dump *d, size_t cap)
{
	size_t chunk = 16384;	/* entries per syscall; grows on -ENOSPC */
	__u64 token = 0;	/* in/out batch position, opaque */
	int err, first = 1;
	__u32 count;

	for (;;) {
		if (d->n + chunk > cap) {
			cap = cap * 2 > d->n + chunk ? cap * 2 : d->n + chunk;	/* geometric */
			if (grow(d, cap))
				return -ENOMEM;
		}
		count = chunk;
		err = bpf_map_lookup_batch(fd, first ? NULL : &token, &token,
					   (char *)d->keys + d->n * d->key_size,
					   (char *)d->vals + d->n * d->val_stride, &count, NULL);
		err = err ? -errno : 0;
		if (err && err != -ENOENT) {
			if (err == -ENOSPC && count == 0) {
				chunk *= 2;
				continue;
			}
			return err;
		}
		/* what the kernel wrote (valgrind does not model this command) */
		VALGRIND_MAKE_MEM_DEFINED((char *)d->keys + d->n * d->key_size, count * d->key_size);
		VALGRIND_MAKE_MEM_DEFINED((char *)d->vals + d->n * d->val_stride, count * d->val_stride);
		VALGRIND_MAKE_MEM_DEFINED(&token, sizeof(token));
		d->n += count;
		first = 0;
		if (err == -ENOENT)
			return 0;
	}
}

/* The fallback: get_next_key + lookup, one entry at a time. An entry deleted
 * between the two calls (LRU eviction) is skipped. */
static int dump_per_key(int fd, struct map_dump *d, size_t cap)
{
	void *prev = NULL, *key;

	for (;;) {
		if (d->n == cap) {
			cap = cap ? cap * 2 : 1024;
			if (grow(d, cap))
				return -ENOMEM;
		}
		key = (char *)d->keys + d->n * d->key_size;
		if (d->n)
			prev = (char *)d->keys + (d->n - 1) * d->key_size;
		if (bpf_map_get_next_key(fd, prev, key))
			return errno == ENOENT ? 0 : -errno;
		if (bpf_map_lookup_elem(fd, key, (char *)d->vals + d->n * d->val_stride)) {
			if (errno != ENOENT)
				return -errno;
			continue;
		}
		d->n++;
	}
}

int map_dump(int fd, struct map_dump *d)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int err, ncpus;

	memset(d, 0, sizeof(*d));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	d->key_size = info.key_size;
	d->val_stride = info.value_size;
	if (is_percpu(info.type)) {
		ncpus = libbpf_num_possible_cpus();
		if (ncpus < 0)
			return ncpus;
		d->val_stride = ncpus * ((info.value_size + 7) & ~7u);
	}
	err = map_dump_no_batch ? -EOPNOTSUPP : dump_batch(fd, d, 0);
	if (err == -EINVAL || err == -EOPNOTSUPP || err == -ENOTSUP || err == -524) {
		pr_debug("batch lookup unavailable (%d), reading key by key\n", err);
		d->n = 0;
		err = dump_per_key(fd, d, 0);
	}
	if (err)
		map_dump_free(d);
	return err;
}

void map_dump_free(struct map_dump *d)
{
	free(d->keys);
	free(d->vals);
	memset(d, 0, sizeof(*d));
}

/* Sum n_u64 counters of a per-CPU value laid out with stride `per_cpu`. */
static void sum_percpu(__u64 *out, const void *val, size_t n_u64, size_t per_cpu, int ncpus)
{
	const char *p = val;
	int c;
	size_t i;

	memset(out, 0, n_u64 * sizeof(*out));
	for (c = 0; c < ncpus; c++, p += per_cpu)
		for (i = 0; i < n_u64; i++)
			out[i] += ((const __u64 *)p)[i];
}

int reasons_read(int fd, __u64 *out)
{
	int ncpus = libbpf_num_possible_cpus();
	struct map_dump d;
	size_t i;
	__u32 k;
	int err;

	if (ncpus < 0)
		return ncpus;
	err = map_dump(fd, &d);
	if (err)
		return err;
	memset(out, 0, PS_R_MAX * sizeof(*out));
	for (i = 0; i < d.n; i++) {
		k = ((__u32 *)d.keys)[i];
		if (k < PS_R_MAX)
			sum_percpu(&out[k], (char *)d.vals + i * d.val_stride, 1,
				   d.val_stride / ncpus, ncpus);
	}
	map_dump_free(&d);
	return 0;
}

static int read_ports(int fd, struct snapshot *s, int ncpus)
{
	struct map_dump d;
	size_t i;
	int err = map_dump(fd, &d);

	if (err)
		return err;
	s->ports = calloc(d.n ? d.n : 1, sizeof(*s->ports));
	if (!s->ports) {
		map_dump_free(&d);
		return -ENOMEM;
	}
	for (i = 0; i < d.n; i++) {
		memcpy(&s->ports[i].key, (char *)d.keys + i * d.key_size, sizeof(s->ports[i].key));
		sum_percpu((__u64 *)&s->ports[i].st, (char *)d.vals + i * d.val_stride,
			   sizeof(struct ps_port_stats) / sizeof(__u64), d.val_stride / ncpus, ncpus);
	}
	s->nports = d.n;
	map_dump_free(&d);
	return 0;
}

static int read_flows(int fd, struct snapshot *s)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct map_dump d;
	size_t i;
	int err;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	s->flow_capacity = info.max_entries;
	err = map_dump(fd, &d);
	if (err)
		return err;
	s->flows = calloc(d.n ? d.n : 1, sizeof(*s->flows));
	if (!s->flows) {
		map_dump_free(&d);
		return -ENOMEM;
	}
	for (i = 0; i < d.n; i++) {
		memcpy(&s->flows[i].key, (char *)d.keys + i * d.key_size, sizeof(s->flows[i].key));
		memcpy(&s->flows[i].st, (char *)d.vals + i * d.val_stride, sizeof(s->flows[i].st));
	}
	s->nflows = d.n;
	map_dump_free(&d);
	return 0;
}

int snapshot_read(const struct map_fds *fds, struct snapshot *s)
{
	int err, ncpus = libbpf_num_possible_cpus();

	memset(s, 0, sizeof(*s));
	if (ncpus < 0)
		return ncpus;
	err = reasons_read(fds->reasons, s->reasons);
	if (!err)
		err = read_ports(fds->ports, s, ncpus);
	if (!err)
		err = read_flows(fds->flows, s);
	if (err)
		snapshot_free(s);
	return err;
}

void snapshot_free(struct snapshot *s)
{
	free(s->ports);
	free(s->flows);
	memset(s, 0, sizeof(*s));
}

__u64 flows_evicted(const struct snapshot *s)
{
	__u64 ins = s->reasons[PS_R_FLOW_NEW];

	return ins > s->nflows ? ins - s->nflows : 0;
}
