// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <netinet/in.h>
#include <time.h>
#include "lib/pins.h"
#include "observe/maps.h"
#include "steer/state.h"
#include "steer/view.h"

static int read_stats(const struct pinned *p, __u32 slot, struct ps_slot_stats *out)
{
	int ncpus = libbpf_num_possible_cpus(), c;
	struct ps_slot_stats v[ncpus];

	memset(out, 0, sizeof(*out));
	memset(v, 0, sizeof(v));	/* valgrind sees one value written, not ncpus */
	if (bpf_map_lookup_elem(p->fd[M_STATS], &slot, v))
		return -errno;
	for (c = 0; c < ncpus; c++) {
		out->selected += v[c].selected;
		out->migrated_in += v[c].migrated_in;
		out->flows += v[c].flows;
	}
	return 0;
}

/* The UDP flow table, counted per slot: flows held (their member is still
 * the slot's socket, not idle) and placed in the last second. */
static int read_flows(const struct pinned *p, struct steer_view *v, const struct ps_slot_info *si)
{
	struct map_dump d = {};
	struct timespec ts;
	__u64 now, held[PS_MAX_MEMBERS] = {}, recent[PS_MAX_MEMBERS] = {};
	size_t i;
	int err;

	if ((err = flow_capacity(p, &v->flow_capacity)) || (err = map_dump(p->fd[M_UDP_FLOWS], &d)))
		return err;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	for (i = 0; i < d.n; i++) {
		const struct ps_udp_flow *f = (const void *)((char *)d.vals + i * d.val_stride);

		if (f->slot >= PS_MAX_MEMBERS || si[f->slot].cookie != f->cookie ||
		    (__s64)(now - f->last_ns) > (__s64)v->mode.udp_idle_ns)
			continue;
		held[f->slot]++;
		recent[f->slot] += (__s64)(now - f->placed_ns) < 1000000000LL;
	}
	v->flow_entries = d.n;
	for (i = 0; i < v->n; i++) {
		v->m[i].flows_held = held[v->m[i].slot];
		v->m[i].flows_recent = recent[v->m[i].slot];
	}
	map_dump_free(&d);
	return 0;
}

__u64 steer_flows_evicted(const struct steer_view *v)
{
	__u64 ins = v->reasons[PS_S_FLOW_INSERT];

	return ins > v->flow_entries ? ins - v->flow_entries : 0;
}

/* Everything status and groups show of a steered group. */
static int read_view(const struct pinned *p, struct steer_view *v)
{
	struct ps_slot_info si[PS_MAX_MEMBERS];
	int ncpus = libbpf_num_possible_cpus(), c, err;
	__u64 rv[ncpus];
	__u32 i;

	memset(v, 0, sizeof(*v));
	err = read_slots(p, si);
	if (!err)
		err = current_mode(p, &v->mode);
	if (err)
		return err;
	v->policy = v->mode.policy;
	memset(rv, 0, sizeof(rv));	/* valgrind sees one value written, not ncpus */
	for (i = 0; i < PS_S_MAX; i++)
		if (!bpf_map_lookup_elem(p->fd[M_REASONS], &i, rv))
			for (c = 0; c < ncpus; c++)
				v->reasons[i] += rv[c];
	for (i = 0; i < PS_MAX_MEMBERS; i++) {
		struct steer_member *m = &v->m[v->n];

		if (!si[i].cookie)
			continue;
		m->slot = i;
		m->info = si[i];
		read_stats(p, i, &m->st);
		bpf_map_lookup_elem(p->fd[M_ACTIVE], &i, &m->active);
		v->n++;
	}
	v->steered = 1;
	return v->mode.proto == IPPROTO_UDP ? read_flows(p, v, si) : 0;
}

int steer_view_of(const struct group *g, struct steer_view *v)
{
	char dir[PATH_MAX];
	struct pinned p;
	int err;

	memset(v, 0, sizeof(*v));
	group_dir(g, dir, sizeof(dir));
	err = open_pinned(dir, &p);
	v->incomplete = err == -ESTALE;
	if (err)
		return 0;	/* not steered by portscope */
	if (!pinned_holds(&p, g)) {
		close_pinned(&p);
		return 0;	/* an earlier group's pins: not this one's steering */
	}
	err = read_view(&p, v);
	close_pinned(&p);
	return err;
}

const struct steer_member *steer_member_of(const struct steer_view *v, __u64 cookie)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (v->m[i].info.cookie == cookie)
			return &v->m[i];
	return NULL;
}

int steer_views_all(struct steer_named_view **out, size_t *n)
{
	char dir[PATH_MAX + 300];
	struct steer_named_view *v = NULL, *grown;
	struct dirent *de;
	struct pinned p;
	DIR *d = opendir(STEER_PINS);
	int err = 0;

	*out = NULL;
	*n = 0;
	while (d && !err && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), STEER_PINS "/%s", de->d_name);
		if (open_pinned(dir, &p))
			continue;
		grown = realloc(v, (*n + 1) * sizeof(*v));
		if (!grown)
			err = -ENOMEM;
		else if (!read_view(&p, &grown[*n].v))
			snprintf(grown[(*n)++].name, sizeof(v->name), "%s", de->d_name);
		v = grown ? grown : v;
		close_pinned(&p);
	}
	if (d)
		closedir(d);
	if (err)
		free(v);
	else
		*out = v;
	return err;
}
