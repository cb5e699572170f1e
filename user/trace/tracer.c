// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/capability.h>
#include "lib/caps.h"
#include "lib/log.h"
#include "trace/tracer.h"
#include "conflicts.skel.h"

#define TRACEFS "/sys/kernel/tracing"

static const char *const reason_names[] = {
#define PS_NAME_ENTRY(id, name) [PS_C_##id] = name,
	PS_CONFLICT_REASONS(PS_NAME_ENTRY)
#undef PS_NAME_ENTRY
};

const char *conflict_reason_name(int r)
{
	return r >= 0 && r < PS_C_MAX ? reason_names[r] : "?";
}

int tracer_require_caps(void)
{
	int paranoid = 2;
	FILE *f;

	if (require_caps(NEED_BPF | NEED_PERFMON))
		return -EPERM;
	f = fopen("/proc/sys/kernel/perf_event_paranoid", "re");
	if (f) {
		if (fscanf(f, "%d", &paranoid) != 1)
			paranoid = 2;
		fclose(f);
	}
	if (paranoid > 2 && !have_cap(CAP_SYS_ADMIN)) {
		pr_warn("needs CAP_SYS_ADMIN to attach tracepoints here: kernel.perf_event_paranoid is %d "
			"(Debian's default; at 2 or below CAP_PERFMON is enough)\n", paranoid);
		return -EPERM;
	}
	return 0;
}

/* libbpf finds tracepoint ids in tracefs (or debugfs/tracing): mount
 * tracefs when neither is there. */
static int tracefs_ready(void)
{
	if (!access(TRACEFS "/events", F_OK) || !access("/sys/kernel/debug/tracing/events", F_OK))
		return 0;
	if (mount("tracefs", TRACEFS, "tracefs", 0, NULL)) {
		pr_warn("tracefs is not mounted and cannot be (%s): mount -t tracefs tracefs %s\n",
			strerror(errno), TRACEFS);
		return -errno;
	}
	if (access(TRACEFS "/events/syscalls", F_OK)) {
		pr_warn("this kernel has no syscall tracepoints (CONFIG_FTRACE_SYSCALLS)\n");
		return -ENOENT;
	}
	return 0;
}

static int on_sample(void *ctx, void *data, size_t len)
{
	struct tracer *t = ctx;

	if (len < sizeof(struct ps_conflict_event))
		return 0;
	return t->cb(t->ctx, data);
}

static int load_attach(struct tracer *t, __u32 netns)
{
	int err;

	t->skel = conflicts_bpf__open();
	if (!t->skel)
		return -errno;
	t->skel->rodata->netns_only = netns;
	t->skel->rodata->counts_only = !t->cb;
	err = conflicts_bpf__load(t->skel);
	if (err) {
		pr_warn("cannot load the conflicts tracer: %s%s\n", strerror(-err),
			err == -EPERM ? " (needs CAP_BPF and CAP_PERFMON)" : "");
		return err;
	}
	err = conflicts_bpf__attach(t->skel);
	if (err)
		pr_warn("cannot attach the syscall tracepoints: %s\n", strerror(-err));
	return err;
}

int tracer_open(struct tracer *t, __u32 netns, conflict_cb cb, void *ctx)
{
	int err;

	memset(t, 0, sizeof(*t));
	t->cb = cb;
	t->ctx = ctx;
	err = tracefs_ready();
	if (!err)
		err = load_attach(t, netns);
	if (!err && cb) {
		t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), on_sample, t, NULL);
		if (!t->rb) {
			err = -errno;
			pr_warn("cannot open the ring buffer: %s\n", strerror(-err));
		}
	}
	if (err)
		tracer_close(t);
	return err;
}

int tracer_poll(struct tracer *t, int timeout_ms)
{
	int n;

	if (!t->rb)
		return -EINVAL;
	n = ring_buffer__poll(t->rb, timeout_ms);
	/* the program wakes us at most every 10 ms: what came in between */
	if (n >= 0) {
		int more = ring_buffer__consume(t->rb);

		n = more < 0 ? more : n + more;
	}
	return n == -EINTR ? 0 : n;
}

int tracer_reasons(const struct tracer *t, __u64 out[PS_C_MAX])
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(t->skel->maps.creasons);
	__u64 *v;
	__u32 k;
	int c;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (k = 0; k < PS_C_MAX; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(fd, &k, v))
			continue;
		for (c = 0; c < ncpu; c++)
			out[k] += v[c];
	}
	free(v);
	return 0;
}

int tracer_counts(const struct tracer *t, struct conflict_count **out, size_t *n)
{
	int fd = bpf_map__fd(t->skel->maps.counts);
	struct ps_conflict_key k, next, *prev = NULL;
	struct conflict_count *v = NULL, *nv;
	size_t cnt = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		nv = realloc(v, (cnt + 1) * sizeof(*v));
		if (!nv) {
			free(v);
			return -ENOMEM;
		}
		v = nv;
		v[cnt].key = next;
		if (!bpf_map_lookup_elem(fd, &next, &v[cnt].n))
			cnt++;
		k = next;
		prev = &k;
	}
	*out = v;
	*n = cnt;
	return 0;
}

void tracer_close(struct tracer *t)
{
	ring_buffer__free(t->rb);
	conflicts_bpf__destroy(t->skel);
	memset(t, 0, sizeof(*t));
}
