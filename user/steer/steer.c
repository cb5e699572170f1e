// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The steer operations. A group is found by (protocol, port[, address]) in
 * this network namespace; the first steer attaches the program
 * (steer/attach.c), later ones rewrite the configuration the program is not
 * using and flip to it: the program is never re-attached.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "lib/caps.h"
#include "lib/fmt.h"
#include "lib/log.h"
#include "lib/pins.h"
#include "lib/signals.h"
#include "steer/attach.h"
#include "steer/members.h"
#include "steer/state.h"
#include "steer/steer.h"

static int parse_addr(const char *s, unsigned char *want)
{
	if (!s)
		return 0;
	if (inet_pton(AF_INET, s, want) == 1)
		return AF_INET;
	return inet_pton(AF_INET6, s, want) == 1 ? AF_INET6 : 0;
}

/* Every member must have SO_REUSEPORT, or there is no group to steer; a
 * socket that could not be borrowed (-1) cannot be told. */
static int check_reuseport(const struct group *g)
{
	char ep[64];
	size_t i;

	for (i = 0; i < g->n; i++) {
		if (g->m[i].reuseport == 1)
			continue;
		fmt_endpoint(g->addr, family_version(g->family), g->port, ep, sizeof(ep));
		if (g->m[i].reuseport < 0)
			pr_warn("%s %s: cannot borrow socket %" PRIu64 " to read SO_REUSEPORT (pidfd_getfd needs CAP_SYS_PTRACE over its process)\n",
				proto_name(g->proto), ep, (uint64_t)g->m[i].sk.cookie);
		else
			pr_warn("%s %s: socket %" PRIu64 " has no SO_REUSEPORT; there is no group to steer\n",
				proto_name(g->proto), ep, (uint64_t)g->m[i].sk.cookie);
		return -EINVAL;
	}
	return 0;
}

/* 0 and *out; -ENOENT when nobody listens (said unless quiet); -EINVAL
 * after one line; another -errno when the socket table cannot be read. */
static int find_group(const struct steer_req *r, struct groups *gs, const struct group **out, int quiet)
{
	struct groups_filter f = { .port = r->port, .proto = r->proto, .all = 1 };
	unsigned char want[16];
	int fam = parse_addr(r->addr, want), err;
	size_t i, n = 0;

	err = groups_collect(gs, &f);
	if (err) {
		pr_warn("cannot read the socket table: %s\n", strerror(-err));
		return err;
	}
	for (i = 0; i < gs->n; i++) {
		if (fam && (gs->g[i].family != fam ||
			    memcmp(gs->g[i].addr, want, fam == AF_INET ? 4 : 16)))
			continue;
		*out = &gs->g[i];
		n++;
	}
	if (!n && !quiet)
		pr_warn("%s port %u%s%s: no listening sockets\n", proto_name(r->proto), r->port,
			r->addr ? " on " : "", r->addr ? r->addr : "");
	if (!n)
		return -ENOENT;
	if (n > 1) {
		pr_warn("%s port %u has %zu groups (several addresses): choose one with --addr\n",
			proto_name(r->proto), r->port, n);
		return -EINVAL;
	}
	return check_reuseport(*out);
}

/* least-conn counts connections with a tracing program, which takes
 * CAP_PERFMON to load; a group steered without it has no tracker. */
static int least_conn_ready(const char *dir)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/steer", dir);
	if (access(path, F_OK)) {
		if (have_perfmon())
			return 1;
		pr_warn("least-conn needs CAP_PERFMON (it traces TCP state changes); the other policies do not\n");
		return 0;
	}
	snprintf(path, sizeof(path), "%s/track_state", dir);
	if (!access(path, F_OK))
		return 1;
	pr_warn("this group was steered without CAP_PERFMON, so without least-conn's tracker: 'steer off' it, and steer it again with CAP_PERFMON\n");
	return 0;
}

/* The flow table is sized when the group is first steered. */
static int check_capacity(const struct pinned *p, const struct steer_req *r)
{
	__u32 cap;

	if (!r->udp_entries || flow_capacity(p, &cap) || cap == r->udp_entries)
		return 0;
	pr_warn("--udp-flow-entries: this group's flow table has %u entries, sized when it was first steered ('steer off' it, then steer it again)\n",
		cap);
	return -EINVAL;
}

/* Already steered: members, weights, drains, policy and modes through the
 * maps. */
static int update_group(const struct pinned *p, const struct group *g, const struct steer_req *r,
			struct steer_mode *m)
{
	struct ps_slot_info si[PS_MAX_MEMBERS];
	int lk = lock_group(p->dir), changed, err;

	err = check_capacity(p, r) ?: current_mode(p, m);
	if (!err)
		mode_apply(m, r);
	err = err ?: sync_members(p, g, &changed);
	err = err ?: write_args(p, r, m);
	if (!err && !read_slots(p, si) && slots_idle(si))
		pr_warn("note: every member is drained or weighted 0; the kernel's hash decides\n");
	err = err ?: publish(p, m);
	unlock_group(lk);
	if (err && err != -EINVAL)
		pr_warn("cannot update %s: %s\n", p->dir, strerror(-err));
	return err;
}

/* Open the group's pins, first attaching (or resetting a half-made
 * directory and then attaching) when there are none. */
static int open_or_attach(const struct group *g, const char *dir, const struct steer_req *r,
			  struct pinned *p, int *fresh)
{
	int err = open_pinned(dir, p);

	*fresh = 0;
	if (!err && !pinned_holds(p, g)) {
		/* an earlier group's pins (all its sockets closed, or its
		 * namespace gone and the inode given to a new one): not ours */
		close_pinned(p);
		pins_remove(dir);
		pr_info("removed the steering state of an earlier group on this port\n");
		err = -ENOENT;
	}
	if (err == -EPROTO) {
		pr_warn("%s: pinned by another version of portscope; 'portscope steer off %u' first\n", dir,
			g->port);
		return -EINVAL;
	}
	if (err == -ESTALE) {
		err = reset_incomplete(g, dir);
		if (err) {
			pr_warn("%s: incomplete, and cannot be reset: %s\n", dir, strerror(-err));
			return err;
		}
		pr_info("removed an incomplete steering directory (a loader had died)\n");
		err = -ENOENT;
	}
	if (err == -ENOENT) {
		struct steer_mode m;

		*fresh = 1;
		mode_default(&m, g->proto);
		mode_apply(&m, r);
		err = attach_group(g, dir, &m, r);
		return err ?: open_pinned(dir, p);
	}
	if (err)
		pr_warn("cannot open %s: %s\n", dir, strerror(-err));
	return err;
}

int steer_apply(const struct steer_req *r, struct steer_result *out)
{
	const struct group *g = NULL;
	struct groups gs = {};
	char dir[PATH_MAX];
	struct pinned p;
	struct steer_mode m;
	int err, fresh;

	err = find_group(r, &gs, &g, 0);
	if (err == -ENOENT)
		err = -EINVAL;
	err = err ?: steer_req_check(r, g);
	if (err)
		goto out;
	group_dir(g, dir, sizeof(dir));
	if (r->policy == PS_POL_LEAST_CONN && !least_conn_ready(dir)) {
		err = -EINVAL;
		goto out;
	}
	err = open_or_attach(g, dir, r, &p, &fresh);
	if (err)
		goto out;
	err = fresh ? current_mode(&p, &m) : update_group(&p, g, r, &m);
	close_pinned(&p);
	*out = (struct steer_result){ g->proto, g->port, m.policy, g->n };
out:
	groups_free(&gs);
	return err;
}

/* What --watch last said of each drained member holding UDP flows. */
struct drain_said {
	__u64 cookie;
	__u64 flows;
	double at;	/* CLOCK_MONOTONIC seconds */
};

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A drained member's flows: said at once when they reach 0, else at most
 * once a second when they change. */
static void drain_notes(const struct group *g, struct drain_said *said, drain_note_fn note, void *ctx)
{
	struct steer_view v;
	double now = mono_now();
	size_t i;

	if (!note || g->proto != IPPROTO_UDP || steer_view_of(g, &v) || !v.steered || !v.mode.udp_flows)
		return;
	for (i = 0; i < v.n; i++) {
		const struct steer_member *m = &v.m[i];
		struct drain_said *s = &said[m->slot];
		struct drain_note n = { m->info.pid, m->info.cookie, m->flows_held };

		if (!m->info.drained) {
			s->cookie = 0;
			continue;
		}
		if (s->cookie == m->info.cookie &&
		    (s->flows == m->flows_held || (m->flows_held && now - s->at < 1)))
			continue;
		*s = (struct drain_said){ m->info.cookie, m->flows_held, now };
		note(ctx, &n);
	}
}

/* One pass of --watch: the slots in step with the group's members. */
static int watch_once(const struct steer_req *r, const char *dir, struct drain_said *said, drain_note_fn note,
		      void *ctx)
{
	const struct group *g;
	struct groups gs = {};
	struct steer_mode m;
	struct pinned p;
	int changed, err, lk;

	if (find_group(r, &gs, &g, 1)) {
		groups_free(&gs);
		return 0;	/* every member closed for now: wait for them */
	}
	err = open_pinned(dir, &p);
	if (err) {
		groups_free(&gs);
		return err;
	}
	lk = lock_group(dir);
	err = sync_members(&p, g, &changed);
	/* the mode may have been changed by another 'steer' meanwhile */
	if (!err && changed && !(err = current_mode(&p, &m))) {
		err = publish(&p, &m);
		pr_info("members changed: %zu now\n", g->n);
	}
	unlock_group(lk);
	close_pinned(&p);
	if (!err)
		drain_notes(g, said, note, ctx);
	groups_free(&gs);
	return err;
}

int steer_watch(const struct steer_req *r, double interval, drain_note_fn note, void *ctx)
{
	struct drain_said said[PS_MAX_MEMBERS] = {};
	const struct group *g;
	struct groups gs = {};
	char dir[PATH_MAX];
	int err = find_group(r, &gs, &g, 0);

	if (!err)
		group_dir(g, dir, sizeof(dir));
	groups_free(&gs);
	if (err)
		return err;
	stop_on_signals();
	pr_info("watching the group every %g s; Ctrl-C leaves it steered\n", interval);
	while (!ps_stop && !err) {
		sleep_unless_stopped(interval);
		err = watch_once(r, dir, said, note, ctx);
	}
	if (err)
		pr_warn("cannot update the group: %s\n", strerror(-err));
	return err;
}

/* Pins of groups on r's port (and address) in this netns whose sockets
 * are all gone: nothing is attached any more, only the pins remain. */
static int remove_stale(const struct steer_req *r)
{
	char prefix[96], ns[32], dir[PATH_MAX + 300], want[INET6_ADDRSTRLEN + 2] = "", *dot;
	struct dirent *de;
	size_t plen;
	int n = 0;
	DIR *d;

	netns_prefix(ns, sizeof(ns));
	snprintf(prefix, sizeof(prefix), "%s%s-", ns, proto_name(r->proto));
	plen = strlen(prefix);
	if (r->addr) {
		snprintf(want, sizeof(want), "%s-", r->addr);
		while ((dot = strchr(want, '.')))
			*dot = '_';
	}
	d = opendir(STEER_PINS);
	while (d && (de = readdir(d))) {
		const char *port = strrchr(de->d_name, '-');

		if (strncmp(de->d_name, prefix, plen) || !port || (unsigned)atoi(port + 1) != r->port ||
		    (want[0] && strncmp(de->d_name + plen, want, strlen(want))))
			continue;
		snprintf(dir, sizeof(dir), STEER_PINS "/%s", de->d_name);
		pins_remove(dir);
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

int steer_off(const struct steer_req *r, struct steer_result *out, enum steer_off_how *how)
{
	const struct group *g = NULL;
	struct groups gs = {};
	char dir[PATH_MAX];
	struct stat st;
	int err = find_group(r, &gs, &g, 1);

	*out = (struct steer_result){ r->proto, r->port, PS_POL_HASH, 0 };
	if (err == -ENOENT) {
		/* nobody listens any more: at most stale pins are left */
		*how = STEER_OFF_STALE;
		err = remove_stale(r) ? 0 : -EINVAL;
		if (err)
			pr_warn("%s port %u: no listening sockets\n", proto_name(r->proto), r->port);
		goto out;
	}
	if (err)
		goto out;
	*how = STEER_OFF_DETACHED;
	out->members = g->n;
	group_dir(g, dir, sizeof(dir));
	if (stat(dir, &st)) {
		pr_warn("%s port %u is not steered by portscope\n", proto_name(g->proto), g->port);
		err = -EINVAL;
		goto out;
	}
	err = detach_group(g);
	if (err)
		pr_warn("cannot detach from the group: %s\n", strerror(-err));
	else
		pins_remove(dir);
out:
	groups_free(&gs);
	return err;
}

/* Every member socket closed: the sockarray is empty. */
static int group_closed(const char *dir)
{
	struct pinned p;
	__u64 cookie;
	__u32 k;
	int closed = 1;

	if (open_pinned(dir, &p))
		return 0;
	for (k = 0; k < PS_MAX_MEMBERS && closed; k++)
		closed = !!bpf_map_lookup_elem(p.fd[M_MEMBERS], &k, &cookie);
	close_pinned(&p);
	return closed;
}

static const struct group *group_of_dir(const struct groups *gs, const char *dir)
{
	char gd[PATH_MAX];
	size_t i;

	for (i = 0; i < gs->n; i++) {
		group_dir(&gs->g[i], gd, sizeof(gd));
		if (!strcmp(gd, dir))
			return &gs->g[i];
	}
	return NULL;
}

/* Resetting a half-made group, inside its namespace: its sockets are
 * found there. */
struct reset_ctx {
	const char *dir;
	int err;
	int found;		/* the group still has sockets */
};

static int reset_here(void *ctx)
{
	struct groups_filter gf = { .all = 1 };
	struct reset_ctx *r = ctx;
	struct groups gs = {};
	const struct group *g;

	groups_collect(&gs, &gf);
	g = group_of_dir(&gs, r->dir);
	r->found = g != NULL;
	r->err = reset_incomplete(g, r->dir);
	groups_free(&gs);
	return 0;
}

/* A directory left incomplete by a loader that died: reset in its
 * namespace (entered when it is another), or removed when the namespace is
 * gone (nothing of it can still be attached). */
static int clean_incomplete(const char *name, const char *dir, const struct netns_list *nl,
			    void (*say)(void *, const char *), void *ctx)
{
	const struct netns_entry *e = netns_find(nl, group_dir_netns(name));
	struct reset_ctx r = { .dir = dir };
	char msg[512];

	if (!nl->n || !group_dir_netns(name))
		return 0;	/* the namespaces could not be listed; or not a group's name */
	if (!e) {
		pins_remove(dir);
		snprintf(msg, sizeof(msg), "removed incomplete steering state of %s (its network namespace is gone)", name);
		say(ctx, msg);
		return 1;
	}
	if (!e->self && require_caps(NEED_SYS_ADMIN)) {
		snprintf(msg, sizeof(msg), "left %s: incomplete, in another network namespace (entering it takes CAP_SYS_ADMIN)",
			 name);
		say(ctx, msg);
		return 0;
	}
	if (netns_visit(e, reset_here, &r) == -ENOENT)
		return 0;	/* gone meanwhile: the next cleanup removes it */
	if (r.err == -EBUSY)
		snprintf(msg, sizeof(msg), "left %s: a loader is steering it now", name);
	else if (r.err)
		pr_warn("cannot reset %s: %s\n", name, strerror(-r.err));
	else
		snprintf(msg, sizeof(msg), "removed incomplete steering state of %s (its loader died)%s", name,
			 r.found ? "; the group is on the kernel's hash" : "");
	if (r.err != -EBUSY && r.err)
		return 0;
	say(ctx, msg);
	return !r.err;
}

/* One directory of cleanup: 1 when removed. */
static int clean_dir(const char *name, const struct netns_list *nl, void (*say)(void *, const char *),
		     void *ctx)
{
	char dir[PATH_MAX], msg[512];
	struct pinned p;
	int err;

	snprintf(dir, sizeof(dir), STEER_PINS "/%.200s", name);
	err = open_pinned(dir, &p);
	if (err == -ESTALE)
		return clean_incomplete(name, dir, nl, say, ctx);
	if (err)
		return 0;
	close_pinned(&p);
	if (!group_closed(dir))
		return 0;
	pins_remove(dir);
	snprintf(msg, sizeof(msg), "removed steering state of %s (no member sockets left%s)", name,
		 netns_find(nl, group_dir_netns(name)) ? "" : "; its network namespace is gone");
	say(ctx, msg);
	return 1;
}

int steer_cleanup(void (*say)(void *ctx, const char *what), void *ctx)
{
	struct netns_list nl = {};
	struct dirent *de;
	DIR *d = opendir(STEER_PINS);
	int n = 0;

	if (!d)
		return 0;
	if (netns_list_all(&nl))
		pr_warn("cannot list the network namespaces; incomplete groups are left\n");
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n += clean_dir(de->d_name, &nl, say, ctx);
	closedir(d);
	netns_list_free(&nl);
	return n;
}
