// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* SO_REUSEPORT groups from the socket table, with their holders. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "sockets/adopt.h"
#include "sockets/groups.h"
#include "lib/log.h"

static int same_group(const struct sock_info *a, const struct group *g)
{
	return a->netns == g->netns && a->proto == g->proto && a->family == g->family && a->port == g->port &&
	       a->ifindex == g->ifindex && !memcmp(a->addr, g->addr, sizeof(g->addr));
}

/* SO_REUSEPORT can only be read on the socket itself: borrow it from a holder. */
static int probe_reuseport(const struct member *m)
{
	size_t i;
	int fd, v = -1;

	for (i = 0; i < m->nholders && v < 0; i++) {
		fd = adopt_fd(m->holders[i].pid, m->holders[i].fd);
		if (fd < 0)
			continue;
		if (sock_cookie(fd) == m->sk.cookie)	/* still the same socket */
			v = sock_reuseport(fd);
		close(fd);
	}
	return v < 0 ? -1 : v;
}

static int add_member(struct groups *gs, const struct sock_info *s)
{
	struct group *g = NULL;
	struct member *m;
	size_t i;

	for (i = 0; i < gs->n; i++)
		if (same_group(s, &gs->g[i]))
			g = &gs->g[i];
	if (!g) {
		g = realloc(gs->g, (gs->n + 1) * sizeof(*gs->g));
		if (!g)
			return -ENOMEM;
		gs->g = g;
		g = &gs->g[gs->n++];
		memset(g, 0, sizeof(*g));
		g->netns = s->netns;
		g->proto = s->proto;
		g->family = s->family;
		memcpy(g->addr, s->addr, sizeof(g->addr));
		g->port = s->port;
		g->ifindex = s->ifindex;
	}
	m = realloc(g->m, (g->n + 1) * sizeof(*g->m));
	if (!m)
		return -ENOMEM;
	g->m = m;
	m = &g->m[g->n++];
	memset(m, 0, sizeof(*m));
	m->sk = *s;
	m->holders = owners_of(&gs->own, s->inode, &m->nholders);
	m->reuseport = probe_reuseport(m);
	return 0;
}

static int collect_proto(struct groups *gs, __u8 proto, const struct groups_filter *f)
{
	__u32 states = proto == IPPROTO_TCP ? 1u << TCP_LISTEN_ : 1u << UDP_UNCONNECTED_;
	struct sock_info *s;
	size_t n, i;
	void *v;
	int err;

	err = sockets_dump(proto, states, &s, &n);
	if (err)
		return err;
	v = realloc(gs->socks, (gs->nsocks + n + 1) * sizeof(*s));
	if (!v) {
		free(s);
		return -ENOMEM;
	}
	gs->socks = v;
	for (i = 0; i < n; i++)
		if (!f->port || s[i].port == f->port)
			gs->socks[gs->nsocks++] = s[i];
	free(s);
	return 0;
}

/*
 * Which sk_reuseport program serves a group? The kernel does not say (no
 * getsockopt for SO_ATTACH_REUSEPORT_EBPF), but a program selects sockets
 * from a REUSEPORT_SOCKARRAY, and such a map answers a lookup with the
 * socket's cookie: a map holding a member's cookie names the program.
 */
static void find_programs(struct groups *gs)
{
	struct bpf_prog_info pi;
	struct bpf_map_info mi;
	__u32 id = 0, len, maps[16] = {}, m, k, nmaps;	/* = {}: valgrind does not see map_ids filled */
	__u64 cookie;
	size_t i, j;
	int pfd, mfd;

	if (bpf_prog_get_next_id(0, &id) && errno == EPERM) {
		gs->progs_hidden = 1;
		return;
	}
	id = 0;
	while (!bpf_prog_get_next_id(id, &id)) {
		pfd = bpf_prog_get_fd_by_id(id);
		if (pfd < 0)
			continue;
		memset(&pi, 0, sizeof(pi));
		pi.nr_map_ids = 16;
		pi.map_ids = (__u64)(unsigned long)maps;
		len = sizeof(pi);
		if (bpf_obj_get_info_by_fd(pfd, &pi, &len) || pi.type != BPF_PROG_TYPE_SK_REUSEPORT) {
			close(pfd);
			continue;
		}
		close(pfd);
		nmaps = pi.nr_map_ids < 16 ? pi.nr_map_ids : 16;
		for (m = 0; m < nmaps; m++) {
			mfd = bpf_map_get_fd_by_id(maps[m]);
			if (mfd < 0)
				continue;
			memset(&mi, 0, sizeof(mi));
			len = sizeof(mi);
			if (!bpf_obj_get_info_by_fd(mfd, &mi, &len) &&
			    mi.type == BPF_MAP_TYPE_REUSEPORT_SOCKARRAY && mi.value_size == 8)
				for (k = 0; k < mi.max_entries; k++) {
					if (bpf_map_lookup_elem(mfd, &k, &cookie))
						continue;
					for (i = 0; i < gs->n; i++)
						for (j = 0; j < gs->g[i].n; j++)
							if (gs->g[i].m[j].sk.cookie == cookie) {
								gs->g[i].bpf_prog_id = id;
								gs->g[i].bpf_map_id = maps[m];
							}
				}
			close(mfd);
		}
	}
}

static int cmp_member(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	pid_t px = x->nholders ? member_server(x)->pid : 0;
	pid_t py = y->nholders ? member_server(y)->pid : 0;

	return px != py ? (px < py ? -1 : 1) : (x->sk.cookie < y->sk.cookie ? -1 : 1);
}

struct visit_ctx {
	struct groups *gs;
	const struct groups_filter *f;
};

/* The sockets of the calling thread's namespace into gs->socks. */
static int collect_here(void *ctx)
{
	struct visit_ctx *c = ctx;
	int err = 0;

	if (!c->f->proto || c->f->proto == IPPROTO_TCP)
		err = collect_proto(c->gs, IPPROTO_TCP, c->f);
	if (!err && (!c->f->proto || c->f->proto == IPPROTO_UDP))
		err = collect_proto(c->gs, IPPROTO_UDP, c->f);
	return err;
}

static int collect_sockets(struct groups *gs, const struct groups_filter *f, const struct netns_list *l)
{
	struct visit_ctx c = { gs, f };
	size_t i;
	int err;

	if (!l)
		return collect_here(&c);
	for (i = 0; i < l->n; i++) {
		err = netns_visit(&l->v[i], collect_here, &c);
		if (err && err != -ENOENT)
			return err;
	}
	return 0;
}

/* Groups with an SO_REUSEPORT member (or every one, when asked). */
static void keep_groups(struct groups *gs, const struct groups_filter *f)
{
	size_t i, j;

	for (i = j = 0; i < gs->n; i++) {
		struct group *g = &gs->g[i];
		int rp = 0;

		for (size_t k = 0; k < g->n; k++)
			rp |= g->m[k].reuseport == 1;
		if (rp || f->all || g->n > 1) {
			qsort(g->m, g->n, sizeof(*g->m), cmp_member);
			gs->g[j++] = *g;
		} else {
			free(g->m);
		}
	}
	gs->n = j;
}

int groups_collect_in(struct groups *gs, const struct groups_filter *f, const struct netns_list *l)
{
	__u32 *inodes;
	size_t i;
	int err;

	memset(gs, 0, sizeof(*gs));
	err = collect_sockets(gs, f, l);
	if (err)
		goto fail;
	inodes = malloc((gs->nsocks + 1) * sizeof(*inodes));
	if (!inodes) {
		err = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < gs->nsocks; i++)
		inodes[i] = gs->socks[i].inode;
	err = owners_scan(&gs->own, inodes, gs->nsocks);
	free(inodes);
	for (i = 0; !err && i < gs->nsocks; i++)
		err = add_member(gs, &gs->socks[i]);
	if (err)
		goto fail;
	keep_groups(gs, f);
	find_programs(gs);
	return 0;
fail:
	groups_free(gs);
	return err;
}

int groups_collect(struct groups *gs, const struct groups_filter *f)
{
	return groups_collect_in(gs, f, NULL);
}

void groups_free(struct groups *gs)
{
	size_t i;

	for (i = 0; i < gs->n; i++)
		free(gs->g[i].m);
	free(gs->g);
	free(gs->socks);
	owners_free(&gs->own);
	memset(gs, 0, sizeof(*gs));
}

const struct holder *member_server(const struct member *m)
{
	size_t i;

	for (i = 0; i < m->nholders; i++)
		if (m->holders[i].serving)
			return &m->holders[i];
	return m->nholders ? &m->holders[0] : NULL;
}

const struct member *group_member_of(const struct group *g, pid_t pid, size_t from)
{
	size_t i, k;

	for (i = from; i < g->n; i++)
		for (k = 0; k < g->m[i].nholders; k++)
			if (g->m[i].holders[k].pid == pid && g->m[i].holders[k].serving)
				return &g->m[i];
	return NULL;
}
