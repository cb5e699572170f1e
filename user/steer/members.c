// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "sockets/adopt.h"
#include "steer/members.h"

static int reset_slot(const struct pinned *p, __u32 i)
{
	int ncpus = libbpf_num_possible_cpus();
	struct ps_slot_stats zero[ncpus];
	__s64 none = 0;

	memset(zero, 0, sizeof(zero));
	if (bpf_map_update_elem(p->fd[M_STATS], &i, zero, BPF_ANY) ||
	    bpf_map_update_elem(p->fd[M_ACTIVE], &i, &none, BPF_ANY))
		return -errno;
	return 0;
}

/*
 * A free slot, preferring one the configuration in use does not name (busy:
 * a bit per slot it does): a slot freed in this pass still has its old
 * socket's cookie there until the next flip, and UDP flows and QUIC ids
 * placed on the old socket must not reach a new one meanwhile.
 */
static __u32 free_slot(const struct ps_slot_info *si, __u64 busy)
{
	__u32 i;

	for (i = 0; i < PS_MAX_MEMBERS; i++)
		if (!si[i].cookie && !((busy >> i) & 1))
			return i;
	for (i = 0; i < PS_MAX_MEMBERS && si[i].cookie; i++)
		;
	return i;
}

/* Slots the configuration in use names (0 when it cannot be read). */
static __u64 busy_slots(const struct pinned *p)
{
	struct ps_steer_cfg *c = malloc(sizeof(*c));
	__u64 busy = 0;
	__u32 i;

	if (c && !current_cfg(p, c))
		for (i = 0; i < PS_MAX_MEMBERS; i++)
			busy |= (__u64)!!c->slot_id[i] << i;
	free(c);
	return busy;
}

/* A socket into the sockarray. EBUSY: it still belongs to a sockarray
 * being freed (a 'steer off' just before: the kernel lets go of the old map
 * after an RCU grace period), so try again for up to a second. */
static int sockarray_put(int map_fd, __u32 i, __u64 fd)
{
	int tries, err = 0;

	for (tries = 0; tries < 50; tries++) {
		err = bpf_map_update_elem(map_fd, &i, &fd, BPF_ANY) ? -errno : 0;
		if (err != -EBUSY)
			break;
		usleep(20000);
	}
	return err;
}

/* Put a member socket into a free slot: borrow it, insert it, let go. */
static int add_member(const struct pinned *p, struct ps_slot_info *si, const struct member *m, __u64 busy)
{
	const struct holder *srv = member_server(m);
	socklen_t len = sizeof(int);
	__u64 v;
	__u32 i;
	int fd, cpu = -1, err;

	if (!srv)
		return -ESRCH;
	i = free_slot(si, busy);
	if (i == PS_MAX_MEMBERS)
		return -ENOSPC;
	fd = adopt_fd(srv->pid, srv->fd);
	if (fd < 0)
		return fd;
	if (sock_cookie(fd) != m->sk.cookie) {	/* the fd was reused meanwhile */
		close(fd);
		return -ESTALE;
	}
	v = fd;
	err = sockarray_put(p->fd[M_MEMBERS], i, v);
	getsockopt(fd, SOL_SOCKET, SO_INCOMING_CPU, &cpu, &len);
	close(fd);
	if (err)
		return err;
	/* a reused slot starts from zero: its counters were another socket's */
	err = reset_slot(p, i);
	if (err)
		return err;
	memset(&si[i], 0, sizeof(si[i]));
	si[i].cookie = m->sk.cookie;
	si[i].pid = srv->pid;
	si[i].weight = 1;
	si[i].cpu = cpu;
	memcpy(si[i].comm, srv->comm, sizeof(si[i].comm));
	return write_slot(p, i, &si[i]);
}

/* Bring the slots in line with the group: new members in, closed ones out
 * (the kernel already emptied their sockarray slots). *changed tells. */
int sync_members(const struct pinned *p, const struct group *g, int *changed)
{
	struct ps_slot_info si[PS_MAX_MEMBERS];
	__u64 busy = busy_slots(p);
	size_t k;
	__u32 i;
	int err, found;

	*changed = 0;
	err = read_slots(p, si);
	if (err)
		return err;
	for (i = 0; i < PS_MAX_MEMBERS; i++) {
		if (!si[i].cookie)
			continue;
		for (found = 0, k = 0; k < g->n && !found; k++)
			found = g->m[k].sk.cookie == si[i].cookie;
		if (!found) {
			memset(&si[i], 0, sizeof(si[i]));
			bpf_map_delete_elem(p->fd[M_MEMBERS], &i);
			err = write_slot(p, i, &si[i]);
			if (err)
				return err;
			*changed = 1;
		}
	}
	for (k = 0; k < g->n; k++) {
		for (found = 0, i = 0; i < PS_MAX_MEMBERS && !found; i++)
			found = si[i].cookie == g->m[k].sk.cookie;
		if (found)
			continue;
		err = add_member(p, si, &g->m[k], busy);
		if (err == -ESTALE || err == -ESRCH)
			continue;	/* gone meanwhile: the next pass sees it */
		if (err)
			return err;
		*changed = 1;
	}
	return 0;
}

int with_member_fd(const struct group *g, int (*fn)(int fd, void *ctx), void *ctx)
{
	const struct holder *srv;
	int fd, err = -ESRCH;
	size_t i;

	for (i = 0; i < g->n && err; i++) {
		srv = member_server(&g->m[i]);
		fd = srv ? adopt_fd(srv->pid, srv->fd) : -ESRCH;
		if (fd < 0) {
			err = fd;
			continue;
		}
		err = fn(fd, ctx);
		close(fd);
	}
	return err;
}
