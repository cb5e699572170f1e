// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "lib/fmt.h"
#include "lib/pins.h"
#include "steer/config.h"
#include "steer/state.h"

#define STEER_MAP_NAME(id, name) [M_##id] = #name,
const char *const steer_map_names[M_N] = { STEER_MAPS(STEER_MAP_NAME) };

void netns_prefix(char *buf, size_t len)
{
	snprintf(buf, len, "net%llu-", (unsigned long long)netns_self());
}

__u64 group_dir_netns(const char *name)
{
	unsigned long long ino;

	return sscanf(name, "net%llu-", &ino) == 1 ? ino : 0;
}

/* A group is (netns, proto, address, port): the netns by its inode (the
 * pins stay on the host's bpffs, whichever namespace the group is in, so
 * two namespaces' port 8080 never share a directory). bpffs refuses names
 * with '.', so 127.0.0.1 is written 127_0_0_1. */
void group_dir(const struct group *g, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], *dot;

	inet_ntop(g->family, g->addr, a, sizeof(a));
	while ((dot = strchr(a, '.')))
		*dot = '_';
	snprintf(buf, len, STEER_PINS "/net%llu-%s-%s-%u", (unsigned long long)g->netns, proto_name(g->proto),
		 a, g->port);
}

void close_pinned(struct pinned *p)
{
	int i;

	for (i = 0; i < M_N; i++)
		if (p->fd[i] >= 0)
			close(p->fd[i]);
}

int open_maps(const char *dir, struct pinned *p)
{
	char path[PATH_MAX + 32];
	int i, err;

	snprintf(p->dir, sizeof(p->dir), "%s", dir);
	for (i = 0; i < M_N; i++)
		p->fd[i] = -1;
	for (i = 0; i < M_N; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, steer_map_names[i]);
		p->fd[i] = bpf_obj_get(path);
		if (p->fd[i] < 0) {
			err = -errno;
			close_pinned(p);
			return err;
		}
	}
	return 0;
}

int pinned_holds(const struct pinned *p, const struct group *g)
{
	__u64 cookie;
	__u32 k;
	size_t i;

	for (k = 0; k < PS_MAX_MEMBERS; k++) {
		if (bpf_map_lookup_elem(p->fd[M_MEMBERS], &k, &cookie))
			continue;
		for (i = 0; i < g->n; i++)
			if (g->m[i].sk.cookie == cookie)
				return 1;
	}
	return 0;
}

/*
 * 0 and every map open; -ENOENT when the group is not steered; -ESTALE when
 * the directory is incomplete: the program's pin comes last, once the group
 * runs it, so a loader that died on the way left maps without it.
 */
/* The pinned maps have the layout this build reads (pins another version
 * of portscope left may not: reading them as ours would overrun). */
static int maps_fit(const struct pinned *p)
{
	static const struct { int m; __u32 size; } want[] = {
		{ M_CFG, sizeof(struct ps_steer_cfg) },	{ M_SLOTS, sizeof(struct ps_slot_info) },
		{ M_META, sizeof(struct ps_steer_meta) }, { M_STATS, sizeof(struct ps_slot_stats) },
	};
	struct bpf_map_info info;
	__u32 len;
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (bpf_obj_get_info_by_fd(p->fd[want[i].m], &info, &len) || info.value_size != want[i].size)
			return 0;
	}
	return 1;
}

int open_pinned(const char *dir, struct pinned *p)
{
	char path[PATH_MAX + 32];
	int err;

	snprintf(path, sizeof(path), "%s/steer", dir);
	if (access(path, F_OK))
		return access(dir, F_OK) ? -ENOENT : -ESTALE;
	err = open_maps(dir, p);
	if (!err && !maps_fit(p)) {
		close_pinned(p);
		return -EPROTO;
	}
	return err;
}

/* One writer at a time per group (a --watch and a --drain, say): the
 * configuration is read, changed and flipped as a whole. */
int lock_group_how(const char *dir, int how)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0 && flock(fd, how)) {
		close(fd);
		return -1;
	}
	return fd;
}

int lock_group(const char *dir)
{
	return lock_group_how(dir, LOCK_EX);
}

void unlock_group(int fd)
{
	if (fd >= 0)
		close(fd);	/* releases the lock */
}

int read_slots(const struct pinned *p, struct ps_slot_info *si)
{
	__u32 i;

	for (i = 0; i < PS_MAX_MEMBERS; i++)
		if (bpf_map_lookup_elem(p->fd[M_SLOTS], &i, &si[i]))
			return -errno;
	return 0;
}

int write_slot(const struct pinned *p, __u32 i, const struct ps_slot_info *si)
{
	return bpf_map_update_elem(p->fd[M_SLOTS], &i, si, BPF_ANY) ? -errno : 0;
}

/* QUIC ids claimed in c into quic_ids (before the flip), or the ids no
 * longer claimed out of it (after). */
static void sync_quic_ids(const struct pinned *p, const struct ps_steer_cfg *c, int add)
{
	__u64 key, next, *prev = NULL;
	__u32 i, slot;
	int claimed;

	for (i = 0; add && i < PS_MAX_MEMBERS; i++)
		if ((c->quic_claimed >> i) & 1)
			bpf_map_update_elem(p->fd[M_QUIC_IDS], &c->quic_id[i], &i, BPF_ANY);
	while (!add && !bpf_map_get_next_key(p->fd[M_QUIC_IDS], prev, &next)) {
		claimed = !bpf_map_lookup_elem(p->fd[M_QUIC_IDS], &next, &slot) && slot < PS_MAX_MEMBERS &&
			  ((c->quic_claimed >> slot) & 1) && c->quic_id[slot] == next;
		if (!claimed && !bpf_map_delete_elem(p->fd[M_QUIC_IDS], &next))
			continue;	/* from the start again: the order changed */
		key = next;
		prev = &key;
	}
}

/* Write the configuration not in use, then flip to it. */
int publish(const struct pinned *p, const struct steer_mode *mode)
{
	struct ps_slot_info si[PS_MAX_MEMBERS];
	struct ps_steer_cfg *c = malloc(sizeof(*c));
	struct ps_steer_meta m;
	__u32 zero = 0, next;
	int err;

	if (!c)
		return -ENOMEM;
	err = read_slots(p, si);
	if (!err && bpf_map_lookup_elem(p->fd[M_META], &zero, &m))
		err = -errno;
	if (!err) {
		build_cfg(c, mode->policy, si, libbpf_num_possible_cpus());
		cfg_set_mode(c, mode, si);
		sync_quic_ids(p, c, 1);
		next = !(m.cur & 1);
		if (bpf_map_update_elem(p->fd[M_CFG], &next, c, BPF_ANY))
			err = -errno;
		m.cur = next;
		if (!err && bpf_map_update_elem(p->fd[M_META], &zero, &m, BPF_ANY))
			err = -errno;
		if (!err)
			sync_quic_ids(p, c, 0);
	}
	free(c);
	return err;
}

int current_cfg(const struct pinned *p, struct ps_steer_cfg *c)
{
	struct ps_steer_meta m;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(p->fd[M_META], &zero, &m))
		return -errno;
	m.cur &= 1;
	return bpf_map_lookup_elem(p->fd[M_CFG], &m.cur, c) ? -errno : 0;
}

int current_mode(const struct pinned *p, struct steer_mode *mode)
{
	struct ps_steer_cfg *c = malloc(sizeof(*c));
	int err = c ? current_cfg(p, c) : -ENOMEM;

	if (!err)
		mode_of_cfg(mode, c);
	free(c);
	return err;
}

int current_policy(const struct pinned *p, __u32 *policy)
{
	struct steer_mode m;
	int err = current_mode(p, &m);

	if (!err)
		*policy = m.policy;
	return err;
}

int flow_capacity(const struct pinned *p, __u32 *cap)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(p->fd[M_UDP_FLOWS], &info, &len))
		return -errno;
	*cap = info.max_entries;
	return 0;
}

int write_args(const struct pinned *p, const struct steer_req *r, const struct steer_mode *m)
{
	struct ps_slot_info si[PS_MAX_MEMBERS];
	int err = read_slots(p, si);
	__u32 i;

	if (err)
		return err;
	apply_args(si, r);
	if (quic_ids_check(m, si))
		return -EINVAL;	/* nothing written */
	for (i = 0; !err && i < PS_MAX_MEMBERS; i++)
		if (si[i].cookie)
			err = write_slot(p, i, si + i);
	return err;
}
