// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * portscope steer: attach bpf/steer.bpf.c to a running SO_REUSEPORT group
 * and drive it through maps.
 *
 * First time on a group: borrow every member socket from the process serving
 * it (pidfd_getfd), put it in the REUSEPORT_SOCKARRAY, write a configuration,
 * attach the program to the group (SO_ATTACH_REUSEPORT_EBPF on one member),
 * pin program, maps and the tracepoint link under
 * /sys/fs/bpf/portscope/steer/GROUP/, and close every borrowed fd at once: a
 * duplicate held here would keep a dead worker's listener open.
 * Afterwards: policy, weights and drains only rewrite the configuration the
 * program is not using and flip to it; the program is never re-attached.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <fcntl.h>
#include <unistd.h>
#include <dirent.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "adopt.h"
#include "caps.h"
#include "groups.h"
#include "json.h"
#include "log.h"
#include "maps.h"
#include "model.h"
#include "parse_arg.h"
#include "pins.h"
#include "steer.h"
#include "steer.skel.h"

#ifndef SO_ATTACH_REUSEPORT_EBPF
#define SO_ATTACH_REUSEPORT_EBPF 52
#endif
#ifndef SO_DETACH_REUSEPORT_BPF
#define SO_DETACH_REUSEPORT_BPF 68
#endif

#define STEER_ROOT STEER_PINS

static const char *const policy_names[PS_POL_MAX] = {
	[PS_POL_HASH] = "hash",		[PS_POL_RR] = "round-robin",
	[PS_POL_WEIGHTED] = "weighted",	[PS_POL_LEAST_CONN] = "least-conn",
	[PS_POL_AFFINITY] = "source-affinity", [PS_POL_CPU] = "cpu",
};

#define PS_NAME_ENTRY(id, name) [PS_S_##id] = name,
static const char *const steer_reason_names[PS_S_MAX] = { PS_STEER_REASONS(PS_NAME_ENTRY) };

/* Maps of a steered group, by pin name. */
static const char *const map_names[] = { "members", "cfg", "meta", "rr", "slot_stats",
					 "active", "steer_reasons", "conns", "slots" };
enum { M_MEMBERS, M_CFG, M_META, M_RR, M_STATS, M_ACTIVE, M_REASONS, M_CONNS, M_SLOTS, M_N };

struct pinned {
	char dir[PATH_MAX];
	int fd[M_N];
};

struct steer_args {
	__u16 port;
	__u8 proto;
	const char *addr;
	int policy;	/* -1: unchanged (hash for a new group) */
	struct weight_arg weights[PS_MAX_MEMBERS];
	size_t nweights;
	pid_t drain[PS_MAX_MEMBERS], undrain[PS_MAX_MEMBERS];
	size_t ndrain, nundrain;
	int watch;
	unsigned interval_ms;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int parse_policy(const char *s)
{
	int i;

	for (i = 0; i < PS_POL_MAX; i++)
		if (!strcmp(s, policy_names[i]))
			return i;
	return -1;
}

/* ---- naming and pins ----------------------------------------------------- */

/* A group is (netns, proto, address, port): the netns by its inode. bpffs
 * refuses names with '.', so 127.0.0.1 is written 127_0_0_1. */
static void group_dir(const struct group *g, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], *dot;
	struct stat ns = {};

	stat("/proc/self/ns/net", &ns);
	inet_ntop(g->family, g->addr, a, sizeof(a));
	while ((dot = strchr(a, '.')))
		*dot = '_';
	snprintf(buf, len, STEER_ROOT "/net%lu-%s-%s-%u", (unsigned long)ns.st_ino,
		 proto_name(g->proto), a, g->port);
}

static void close_pinned(struct pinned *p)
{
	int i;

	for (i = 0; i < M_N; i++)
		if (p->fd[i] >= 0)
			close(p->fd[i]);
}

static int open_maps(const char *dir, struct pinned *p)
{
	char path[PATH_MAX + 32];
	int i, err;

	snprintf(p->dir, sizeof(p->dir), "%s", dir);
	for (i = 0; i < M_N; i++)
		p->fd[i] = -1;
	for (i = 0; i < M_N; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, map_names[i]);
		p->fd[i] = bpf_obj_get(path);
		if (p->fd[i] < 0) {
			err = -errno;
			close_pinned(p);
			return err;
		}
	}
	return 0;
}

/*
 * 0 and every map open; -ENOENT when the group is not steered; -ESTALE when
 * the directory is incomplete: the program's pin comes last, once the group
 * runs it, so a loader that died on the way left maps without it.
 */
static int open_pinned(const char *dir, struct pinned *p)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/steer", dir);
	if (access(path, F_OK))
		return access(dir, F_OK) ? -ENOENT : -ESTALE;
	return open_maps(dir, p);
}

/* One writer at a time per group (a --watch and a --drain, say): the
 * configuration is read, changed and flipped as a whole. */
static int lock_group_how(const char *dir, int how)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0 && flock(fd, how)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int lock_group(const char *dir)
{
	return lock_group_how(dir, LOCK_EX);
}

static void unlock_group(int fd)
{
	if (fd >= 0)
		close(fd);	/* releases the lock */
}

/* ---- the configuration ---------------------------------------------------- */

static int read_slots(const struct pinned *p, struct ps_slot_info *si)
{
	__u32 i;

	for (i = 0; i < PS_MAX_MEMBERS; i++)
		if (bpf_map_lookup_elem(p->fd[M_SLOTS], &i, &si[i]))
			return -errno;
	return 0;
}

static int write_slot(const struct pinned *p, __u32 i, const struct ps_slot_info *si)
{
	return bpf_map_update_elem(p->fd[M_SLOTS], &i, si, BPF_ANY) ? -errno : 0;
}

/* Smooth weighted round-robin (nginx's): spreads each slot's turns evenly
 * over the wheel instead of in runs. Weights are scaled to fit the wheel. */
static void build_wheel(struct ps_steer_cfg *c, const struct ps_slot_info *si)
{
	__u64 sum = 0, w[PS_MAX_MEMBERS] = {};
	__s64 cur[PS_MAX_MEMBERS] = {};
	__u32 i, k, best;

	for (i = 0; i < c->nlive; i++)
		sum += si[c->live[i]].weight;
	for (i = 0; i < c->nlive; i++) {
		w[i] = si[c->live[i]].weight;
		if (sum > PS_WHEEL_MAX)
			w[i] = (w[i] * PS_WHEEL_MAX + sum / 2) / sum ?: 1;
	}
	for (sum = 0, i = 0; i < c->nlive; i++)
		sum += w[i];
	c->wheel_len = sum > PS_WHEEL_MAX ? PS_WHEEL_MAX : sum;
	for (k = 0; k < c->wheel_len; k++) {
		best = 0;
		for (i = 0; i < c->nlive; i++) {
			cur[i] += w[i];
			if (cur[i] > cur[best])
				best = i;
		}
		cur[best] -= sum;
		c->wheel[k] = c->live[best];
	}
}

static void build_cfg(struct ps_steer_cfg *c, __u32 policy, const struct ps_slot_info *si)
{
	__u32 i, cpu, ncpus = libbpf_num_possible_cpus();

	memset(c, 0, sizeof(*c));
	c->policy = policy;
	for (i = 0; i < PS_MAX_MEMBERS; i++) {
		c->slot_id[i] = si[i].cookie;
		if (si[i].cookie && !si[i].drained && (policy != PS_POL_WEIGHTED || si[i].weight))
			c->live[c->nlive++] = i;
	}
	if (!c->nlive)
		return;
	if (policy == PS_POL_WEIGHTED)
		build_wheel(c, si);
	/* cpu: the member whose SO_INCOMING_CPU is this CPU, else spread */
	c->ncpus = ncpus > PS_MAX_CPUS ? PS_MAX_CPUS : ncpus;
	for (cpu = 0; cpu < c->ncpus; cpu++) {
		c->cpu_slot[cpu] = c->live[cpu % c->nlive];
		for (i = 0; i < c->nlive; i++)
			if (si[c->live[i]].cpu == (__s32)cpu)
				c->cpu_slot[cpu] = c->live[i];
	}
}

/* Write the configuration not in use, then flip to it. */
static int publish(const struct pinned *p, __u32 policy)
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
		build_cfg(c, policy, si);
		next = !(m.cur & 1);
		if (bpf_map_update_elem(p->fd[M_CFG], &next, c, BPF_ANY))
			err = -errno;
		m.cur = next;
		if (!err && bpf_map_update_elem(p->fd[M_META], &zero, &m, BPF_ANY))
			err = -errno;
	}
	free(c);
	return err;
}

static int current_policy(const struct pinned *p, __u32 *policy)
{
	struct ps_steer_meta m;
	struct ps_steer_cfg *c = malloc(sizeof(*c));
	__u32 zero = 0;
	int err = 0;

	if (!c)
		return -ENOMEM;
	if (bpf_map_lookup_elem(p->fd[M_META], &zero, &m) ||
	    (m.cur &= 1, bpf_map_lookup_elem(p->fd[M_CFG], &m.cur, c)))
		err = -errno;
	else
		*policy = c->policy;
	free(c);
	return err;
}

/* ---- membership ------------------------------------------------------------ */

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

/* Put a member socket into a free slot: borrow it, insert it, let go. */
static int add_member(const struct pinned *p, struct ps_slot_info *si, const struct member *m)
{
	const struct holder *srv = member_server(m);
	socklen_t len = sizeof(int);
	__u64 v;
	__u32 i;
	int fd, cpu = -1, err;

	if (!srv)
		return -ESRCH;
	for (i = 0; i < PS_MAX_MEMBERS && si[i].cookie; i++)
		;
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
	err = bpf_map_update_elem(p->fd[M_MEMBERS], &i, &v, BPF_ANY) ? -errno : 0;
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
static int sync_members(const struct pinned *p, const struct group *g, int *changed)
{
	struct ps_slot_info si[PS_MAX_MEMBERS];
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
		err = add_member(p, si, &g->m[k]);
		if (err == -ESTALE || err == -ESRCH)
			continue;	/* gone meanwhile: the next pass sees it */
		if (err)
			return err;
		*changed = 1;
	}
	return 0;
}

/* ---- the group on the command line ------------------------------------------ */

/* EXIT_OK and *out, or an exit status after one line on stderr. With
 * quiet_none, a port nobody listens on returns -ENOENT silently. */
static int find_group(const struct steer_args *a, struct groups *gs, const struct group **out,
		      int quiet_none)
{
	struct groups_filter f = { .port = a->port, .proto = a->proto, .all = 1 };
	unsigned char want[16];
	const struct group *g = NULL;
	int fam = 0, err;
	size_t i, n = 0;
	char ep[64];

	if (a->addr) {
		if (inet_pton(AF_INET, a->addr, want) == 1)
			fam = AF_INET;
		else if (inet_pton(AF_INET6, a->addr, want) == 1)
			fam = AF_INET6;
	}
	err = groups_collect(gs, &f);
	if (err) {
		pr_warn("cannot read the socket table: %s\n", strerror(-err));
		return EXIT_FAIL;
	}
	for (i = 0; i < gs->n; i++) {
		if (fam && (gs->g[i].family != fam ||
			    memcmp(gs->g[i].addr, want, fam == AF_INET ? 4 : 16)))
			continue;
		g = &gs->g[i];
		n++;
	}
	if (!n) {
		if (quiet_none)
			return -ENOENT;
		pr_warn("%s port %u%s%s: no listening sockets\n", proto_name(a->proto), a->port,
			a->addr ? " on " : "", a->addr ? a->addr : "");
		return EXIT_USAGE;
	}
	if (n > 1) {
		pr_warn("%s port %u has %zu groups (several addresses): choose one with --addr\n",
			proto_name(a->proto), a->port, n);
		return EXIT_USAGE;
	}
	for (i = 0; i < g->n; i++)
		if (g->m[i].reuseport != 1) {
			pr_warn("%s %s: socket %" PRIu64 " has no SO_REUSEPORT; there is no group to steer\n",
				proto_name(g->proto),
				fmt_endpoint(g->addr, g->family == AF_INET6 ? 6 : 4, g->port, ep, sizeof(ep)),
				(uint64_t)g->m[i].sk.cookie);
			return EXIT_USAGE;
		}
	*out = g;
	return EXIT_OK;
}

/* Every pid named on the command line must serve a member of the group. */
static int check_pids(const struct steer_args *a, const struct group *g)
{
	const pid_t *lists[] = { a->drain, a->undrain };
	size_t ns[] = { a->ndrain, a->nundrain }, i, l, k;
	int found;

	for (i = 0; i < a->nweights; i++) {
		for (found = 0, k = 0; k < g->n; k++)
			found |= a->weights[i].cookie ? g->m[k].sk.cookie == a->weights[i].cookie
						      : group_member_of(g, a->weights[i].pid, k) == &g->m[k];
		if (!found) {
			if (a->weights[i].cookie)
				pr_warn("--weight: socket %" PRIu64 " is not a member of this group\n",
					(uint64_t)a->weights[i].cookie);
			else
				pr_warn("--weight: pid %d serves no socket of this group\n", a->weights[i].pid);
			return -EINVAL;
		}
	}
	for (l = 0; l < 2; l++)
		for (i = 0; i < ns[l]; i++)
			if (!group_member_of(g, lists[l][i], 0)) {
				pr_warn("%s: pid %d serves no socket of this group\n",
					l ? "--undrain" : "--drain", lists[l][i]);
				return -EINVAL;
			}
	return 0;
}

/* Weights and drains onto the slots, by pid or socket. */
static int apply_args(const struct pinned *p, const struct steer_args *a)
{
	struct ps_slot_info si[PS_MAX_MEMBERS];
	size_t k;
	__u32 i;
	int err = read_slots(p, si);

	for (i = 0; !err && i < PS_MAX_MEMBERS; i++) {
		if (!si[i].cookie)
			continue;
		for (k = 0; k < a->nweights; k++)
			if (a->weights[k].cookie ? a->weights[k].cookie == si[i].cookie
						 : (pid_t)si[i].pid == a->weights[k].pid)
				si[i].weight = a->weights[k].w;
		for (k = 0; k < a->ndrain; k++)
			if ((pid_t)si[i].pid == a->drain[k])
				si[i].drained = 1;
		for (k = 0; k < a->nundrain; k++)
			if ((pid_t)si[i].pid == a->undrain[k])
				si[i].drained = 0;
		err = write_slot(p, i, &si[i]);
	}
	return err;
}

/* ---- attach ------------------------------------------------------------------ */

/* SO_DETACH_REUSEPORT_BPF through the first member we can borrow: the
 * group is back on the kernel's hash (ENOENT: it already was). */
static int detach_group(const struct group *g)
{
	const struct holder *srv;
	int fd, dummy = 0, err = -ESRCH;
	size_t i;

	for (i = 0; i < g->n && err; i++) {
		srv = member_server(&g->m[i]);
		fd = srv ? adopt_fd(srv->pid, srv->fd) : -ESRCH;
		if (fd < 0) {
			err = fd;
			continue;
		}
		err = setsockopt(fd, SOL_SOCKET, SO_DETACH_REUSEPORT_BPF, &dummy, sizeof(dummy)) &&
		      errno != ENOENT ? -errno : 0;
		close(fd);
	}
	return err;
}

/* Undo an incomplete directory (a loader died before pinning the program):
 * detach whatever it attached, remove the pins. -EBUSY: a loader is at work. */
static int reset_incomplete(const struct group *g, const char *dir)
{
	int lk = lock_group_how(dir, LOCK_EX | LOCK_NB), err;

	if (lk < 0)
		return errno == EWOULDBLOCK ? -EBUSY : 0;
	err = g ? detach_group(g) : 0;
	if (!err)
		pins_remove(dir);
	unlock_group(lk);
	return err;
}

/* The maps and the tracker's link; the program is pinned apart, last. */
static int pin_maps(struct steer_bpf *skel, struct bpf_link *link, const char *dir)
{
	struct bpf_map *maps[] = { skel->maps.members, skel->maps.cfg, skel->maps.meta,
				   skel->maps.rr, skel->maps.slot_stats, skel->maps.active,
				   skel->maps.steer_reasons, skel->maps.conns, skel->maps.slots };
	int i, err = 0;

	for (i = 0; i < M_N && !err; i++)
		err = pin_fd(bpf_map__fd(maps[i]), dir, map_names[i]);
	if (!err && link)
		err = pin_fd(bpf_link__fd(link), dir, "track_state");
	return err;
}

/*
 * Load, pin the maps, fill, configure, attach, and pin the program last:
 * until SO_ATTACH_REUSEPORT_EBPF the group is untouched, and a failure
 * before it removes the pins; a directory without the program's pin is
 * incomplete (open_pinned), and steer and cleanup undo it. The directory
 * is locked all along, so cleanup does not undo a loader at work.
 * The program is 'steer' (bpf_loop, 5.17+: verifies with CAP_BPF alone) or
 * 'steer_loops' (older kernels); least-conn's tracker is loaded when
 * CAP_PERFMON allows tracing.
 */
static int attach_group(const struct group *g, const char *dir, __u32 policy,
			const struct steer_args *a)
{
	struct steer_bpf *skel;
	struct bpf_program *prog;
	struct bpf_link *link = NULL;
	bool loops;
	struct pinned p;
	int err, fd = -1, prog_fd, lk = -1;
	const struct holder *srv;
	size_t i;
	int changed;

	skel = steer_bpf__open();
	if (!skel)
		return -errno;
	skel->rodata->group_port = g->port;
	/* PS_STEER_PROG=steer_loops: the older kernels' program here (tests) */
	loops = libbpf_probe_bpf_helper(BPF_PROG_TYPE_SK_REUSEPORT, BPF_FUNC_loop, NULL) <= 0 ||
		(getenv("PS_STEER_PROG") && !strcmp(getenv("PS_STEER_PROG"), "steer_loops"));
	prog = loops ? skel->progs.steer_loops : skel->progs.steer;
	bpf_program__set_autoload(loops ? skel->progs.steer : skel->progs.steer_loops, false);
	bpf_program__set_autoload(skel->progs.track_state, have_perfmon());
	err = steer_bpf__load(skel);
	if (err) {
		pr_warn("cannot load the steering program: %s\n", strerror(-err));
		goto out;
	}
	if (bpf_program__autoload(skel->progs.track_state)) {
		link = bpf_program__attach(skel->progs.track_state);
		if (!link) {
			err = -errno;
			pr_warn("cannot attach the connection tracker: %s\n", strerror(-err));
			goto out;
		}
	}
	err = pins_prepare(dir);
	if (!err) {
		lk = lock_group(dir);
		err = lk < 0 ? -errno : 0;
	}
	if (!err)
		err = pin_maps(skel, link, dir);
	if (!err)
		err = open_maps(dir, &p);
	if (err) {
		pr_warn("cannot pin under %s: %s\n", dir, strerror(-err));
		goto out_unpin;
	}
	err = sync_members(&p, g, &changed);
	if (!err)
		err = apply_args(&p, a);
	if (!err)
		err = publish(&p, policy);
	close_pinned(&p);
	if (err) {
		pr_warn("cannot fill the group's maps: %s\n", strerror(-err));
		goto out_unpin;
	}
	/* attach through one member; the program belongs to the group */
	prog_fd = bpf_program__fd(prog);
	for (i = 0, err = -ESRCH; i < g->n && err; i++) {
		srv = member_server(&g->m[i]);
		fd = srv ? adopt_fd(srv->pid, srv->fd) : -ESRCH;
		if (fd < 0) {
			err = fd;
			continue;
		}
		err = setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF, &prog_fd, sizeof(prog_fd))
			      ? -errno : 0;
		close(fd);
	}
	if (err) {
		pr_warn("cannot attach to the group: %s\n", strerror(-err));
		goto out_unpin;
	}
	err = pin_fd(prog_fd, dir, "steer");
	if (err) {
		pr_warn("cannot pin the program: %s\n", strerror(-err));
		detach_group(g);
		goto out_unpin;
	}
	goto out;
out_unpin:
	pins_remove(dir);
out:
	unlock_group(lk);
	bpf_link__destroy(link);	/* the pin keeps it attached */
	steer_bpf__destroy(skel);
	return err;
}

/* ---- subcommands --------------------------------------------------------------- */

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

int parse_weight(const char *s, struct weight_arg *w)
{
	char buf[64], *eq;
	uint64_t v;

	snprintf(buf, sizeof(buf), "%s", s);
	eq = strchr(buf, '=');
	if (!eq) {
		pr_warn("invalid --weight '%s': use PID=W or cookie:SOCKET=W\n", s);
		return -EINVAL;
	}
	*eq = 0;
	memset(w, 0, sizeof(*w));
	if (!strncmp(buf, "cookie:", 7)) {
		if (parse_u64(buf + 7, "socket cookie", 1, UINT64_MAX, &v))
			return -EINVAL;
		w->cookie = v;
	} else {
		if (parse_u64(buf, "pid", 1, INT_MAX, &v))
			return -EINVAL;
		w->pid = v;
	}
	if (parse_u64(eq + 1, "weight", 0, 1000, &v))
		return -EINVAL;
	w->w = v;
	return 0;
}

static int parse_pid(const char *s, const char *what, pid_t *pid)
{
	uint64_t v;

	if (parse_u64(s, what, 1, INT_MAX, &v))
		return -EINVAL;
	*pid = v;
	return 0;
}

static void usage(FILE *f)
{
	fputs("Usage: portscope steer PORT [--proto tcp|udp] [--addr IP] [--policy P]\n"
	      "                       [--weight PID=W]... [--drain PID]... [--undrain PID]...\n"
	      "                       [--watch [--interval MS]]\n"
	      "       portscope steer off PORT [--proto tcp|udp] [--addr IP]\n"
	      "       portscope steer status [--json]\n"
	      "\n"
	      "Steer new connections (TCP) or datagrams (UDP) among the sockets of a running\n"
	      "SO_REUSEPORT group, and move connections queued on a closing listener to the\n"
	      "others. The servers are not changed: their sockets are borrowed with\n"
	      "pidfd_getfd just long enough to attach. Changing policy, weights or drains\n"
	      "later only updates maps.\n"
	      "\n"
	      "Policies:\n"
	      "  hash             the kernel's flow-hash spread, with portscope's counters\n"
	      "  round-robin      strict rotation over live members\n"
	      "  weighted         in proportion to --weight (default weight 1, 0: none)\n"
	      "  least-conn       the member with the fewest established connections (TCP)\n"
	      "  source-affinity  a client address stays on one member (rendezvous hashing)\n"
	      "  cpu              the member whose SO_INCOMING_CPU is the receiving CPU\n"
	      "\n"
	      "Options:\n"
	      "  -P, --proto PROTO    tcp (default) or udp\n"
	      "  -a, --addr IP        the group's bound address, when a port has several\n"
	      "  -p, --policy P       one of the above (default: hash, or unchanged)\n"
	      "  -w, --weight PID=W   weight of the sockets PID serves (cookie:C=W: one socket)\n"
	      "  -d, --drain PID      no new connections to PID's sockets; when they close,\n"
	      "                       their queued connections migrate to the others\n"
	      "  -u, --undrain PID    take PID's sockets back\n"
	      "  -W, --watch          stay, and keep the members in step with the group\n"
	      "                       (restarted workers join, closed ones leave)\n"
	      "  -i, --interval MS    --watch period (default 200)\n"
	      "  -j, --json           (status) one JSON object per group\n"
	      "\n"
	      "Examples:\n"
	      "  sudo portscope steer 8080 --policy weighted --weight 4242=3 --weight 4243=1\n"
	      "  sudo portscope steer 8080 --drain 4242\n"
	      "  sudo portscope steer 8080 --policy round-robin --watch\n"
	      "  sudo portscope steer status\n"
	      "  sudo portscope steer off 8080\n",
	      f);
}

static int parse_steer_args(int argc, char **argv, struct steer_args *a, int *json)
{
	static const struct option opts[] = {
		{ "proto", required_argument, NULL, 'P' },
		{ "addr", required_argument, NULL, 'a' },
		{ "policy", required_argument, NULL, 'p' },
		{ "weight", required_argument, NULL, 'w' },
		{ "drain", required_argument, NULL, 'd' },
		{ "undrain", required_argument, NULL, 'u' },
		{ "watch", no_argument, NULL, 'W' },
		{ "interval", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	unsigned char seen[256] = {};
	int c, verbose = 0;
	uint64_t v;
	unsigned char buf[16];

	a->proto = IPPROTO_TCP;
	a->policy = -1;
	a->interval_ms = 200;
	opterr = 0;
	while ((c = getopt_once(argc, argv, ":P:a:p:w:d:u:Wi:jvh", opts, "wdu", seen)) != -1) {
		switch (c) {
		case 'P':
			if (parse_proto(optarg, &a->proto))
				return -EINVAL;
			break;
		case 'a':
			if (inet_pton(AF_INET, optarg, buf) != 1 && inet_pton(AF_INET6, optarg, buf) != 1) {
				pr_warn("invalid --addr '%s': not an IPv4 or IPv6 address\n", optarg);
				return -EINVAL;
			}
			a->addr = optarg;
			break;
		case 'p':
			a->policy = parse_policy(optarg);
			if (a->policy < 0) {
				pr_warn("unknown policy '%s': use hash, round-robin, weighted, least-conn, source-affinity or cpu\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'w':
			if (a->nweights == PS_MAX_MEMBERS || parse_weight(optarg, &a->weights[a->nweights++]))
				return -EINVAL;
			break;
		case 'd':
			if (a->ndrain == PS_MAX_MEMBERS || parse_pid(optarg, "--drain pid", &a->drain[a->ndrain++]))
				return -EINVAL;
			break;
		case 'u':
			if (a->nundrain == PS_MAX_MEMBERS ||
			    parse_pid(optarg, "--undrain pid", &a->undrain[a->nundrain++]))
				return -EINVAL;
			break;
		case 'W': a->watch = 1; break;
		case 'i':
			if (parse_u64(optarg, "--interval", 10, 60000, &v))
				return -EINVAL;
			a->interval_ms = v;
			break;
		case 'j': *json = 1; break;
		case 'v': verbose++; break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		default:
			return option_error(c, argv, "steer");
		}
	}
	log_init(verbose);
	return 0;
}

static int check_weights(const struct pinned *p)
{
	struct ps_slot_info si[PS_MAX_MEMBERS];
	__u64 sum = 0;
	__u32 i;

	if (read_slots(p, si))
		return 0;
	for (i = 0; i < PS_MAX_MEMBERS; i++)
		if (si[i].cookie && !si[i].drained)
			sum += si[i].weight;
	return sum ? 0 : -EINVAL;
}

/* Refuse weights that leave nothing to choose, before changing anything. */
static int weights_sum_zero(const struct steer_args *a, const struct group *g)
{
	size_t k, i;
	__u64 sum = 0;
	__u32 w;

	for (k = 0; k < g->n; k++) {
		const struct holder *srv = member_server(&g->m[k]);

		w = 1;
		for (i = 0; i < a->nweights; i++)
			if (a->weights[i].cookie ? a->weights[i].cookie == g->m[k].sk.cookie
						 : srv && srv->pid == a->weights[i].pid)
				w = a->weights[i].w;
		sum += w;
	}
	return a->nweights && !sum;
}

/* --drain naming every member's server: no member would take a connection */
static int drains_all(const struct steer_args *a, const struct group *g)
{
	size_t k, i, n = 0;

	for (k = 0; k < g->n; k++) {
		const struct holder *srv = member_server(&g->m[k]);

		for (i = 0; srv && i < a->ndrain; i++)
			if (srv->pid == a->drain[i]) {
				n++;
				break;
			}
	}
	return g->n && n == g->n;
}

static int run_watch(const struct pinned *p, const struct steer_args *a, __u32 policy)
{
	struct timespec ts = { .tv_sec = a->interval_ms / 1000,
			       .tv_nsec = (a->interval_ms % 1000) * 1000000L };
	struct groups gs;
	const struct group *g;
	int changed, err = 0, lk;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	pr_info("watching the group every %u ms; Ctrl-C leaves it steered\n", a->interval_ms);
	while (!stop) {
		nanosleep(&ts, NULL);
		if (find_group(a, &gs, &g, 1) != EXIT_OK) {
			groups_free(&gs);
			continue;	/* every member closed for now: wait for them */
		}
		lk = lock_group(p->dir);
		err = sync_members(p, g, &changed);
		/* the policy may have been changed by another 'steer' meanwhile */
		if (!err && changed && !(err = current_policy(p, &policy))) {
			err = publish(p, policy);
			pr_info("members changed: %zu now\n", g->n);
		}
		unlock_group(lk);
		groups_free(&gs);
		if (err) {
			pr_warn("cannot update the group: %s\n", strerror(-err));
			break;
		}
	}
	return err;
}

static int steer_on(struct steer_args *a)
{
	struct groups gs;
	const struct group *g;
	struct pinned p;
	char dir[PATH_MAX];
	__u32 policy = PS_POL_HASH;
	int ret, err, changed;

	ret = find_group(a, &gs, &g, 0);
	if (ret != EXIT_OK)
		goto out;
	ret = EXIT_USAGE;
	if (check_pids(a, g))
		goto out;
	if (weights_sum_zero(a, g)) {
		pr_warn("--weight: the weights sum to 0; no member would get a connection\n");
		goto out;
	}
	if (drains_all(a, g)) {
		pr_warn("--drain: that is every member of the group; none would take a connection\n");
		goto out;
	}
	if (a->policy == PS_POL_LEAST_CONN && g->proto != IPPROTO_TCP) {
		pr_warn("least-conn needs connections: use it on TCP groups\n");
		goto out;
	}
	group_dir(g, dir, sizeof(dir));
	if (a->policy == PS_POL_LEAST_CONN && !least_conn_ready(dir))
		goto out;
	ret = EXIT_FAIL;
	err = open_pinned(dir, &p);
	if (err == -ESTALE) {
		err = reset_incomplete(g, dir);
		if (err) {
			pr_warn("%s: incomplete, and cannot be reset: %s\n", dir, strerror(-err));
			goto out;
		}
		pr_info("removed an incomplete steering directory (a loader had died)\n");
		err = -ENOENT;
	}
	if (err == -ENOENT) {
		if (a->policy >= 0)
			policy = a->policy;
		err = attach_group(g, dir, policy, a);
		if (err)
			goto out;
		err = open_pinned(dir, &p);
		if (err)
			goto out;
	} else if (err) {
		pr_warn("cannot open %s: %s\n", dir, strerror(-err));
		goto out;
	} else {
		/* already steered: maps only */
		int lk = lock_group(dir);

		err = current_policy(&p, &policy);
		if (!err && a->policy >= 0)
			policy = a->policy;
		if (!err)
			err = sync_members(&p, g, &changed);
		if (!err)
			err = apply_args(&p, a);
		if (!err && check_weights(&p))
			pr_warn("note: every member is drained or weighted 0; the kernel's hash decides\n");
		if (!err)
			err = publish(&p, policy);
		unlock_group(lk);
		if (err) {
			pr_warn("cannot update %s: %s\n", dir, strerror(-err));
			close_pinned(&p);
			goto out;
		}
	}
	printf("%s %u: %s over %zu member%s\n", proto_name(g->proto), g->port, policy_names[policy],
	       g->n, g->n == 1 ? "" : "s");
	fflush(stdout);
	ret = EXIT_OK;
	if (a->watch) {
		groups_free(&gs);
		memset(&gs, 0, sizeof(gs));
		ret = run_watch(&p, a, policy) ? EXIT_FAIL : EXIT_OK;
	}
	close_pinned(&p);
out:
	groups_free(&gs);
	return ret;
}

/* Pins of groups on this port (and address) in this netns whose sockets
 * are all gone: nothing is attached any more, only the pins remain. */
static int remove_stale(const struct steer_args *a)
{
	char prefix[64], dir[PATH_MAX + 300], want[INET6_ADDRSTRLEN + 2] = "", *dot;
	struct stat ns = {};
	struct dirent *de;
	size_t plen;
	int n = 0;
	DIR *d;

	stat("/proc/self/ns/net", &ns);
	snprintf(prefix, sizeof(prefix), "net%lu-%s-", (unsigned long)ns.st_ino, proto_name(a->proto));
	plen = strlen(prefix);
	if (a->addr) {
		snprintf(want, sizeof(want), "%s-", a->addr);
		while ((dot = strchr(want, '.')))
			*dot = '_';
	}
	d = opendir(STEER_ROOT);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		const char *port = strrchr(de->d_name, '-');

		if (strncmp(de->d_name, prefix, plen) || !port || (unsigned)atoi(port + 1) != a->port ||
		    (want[0] && strncmp(de->d_name + plen, want, strlen(want))))
			continue;
		snprintf(dir, sizeof(dir), STEER_ROOT "/%s", de->d_name);
		pins_remove(dir);
		n++;
	}
	closedir(d);
	return n;
}

static int steer_off(struct steer_args *a)
{
	struct groups gs;
	const struct group *g;
	char dir[PATH_MAX];
	struct stat st;
	int ret, err;

	ret = find_group(a, &gs, &g, 1);
	if (ret == -ENOENT) {
		/* nobody listens any more: at most stale pins are left */
		ret = EXIT_OK;
		if (remove_stale(a)) {
			printf("%s %u: no listeners; removed portscope's stale state\n",
			       proto_name(a->proto), a->port);
		} else {
			pr_warn("%s port %u: no listening sockets\n", proto_name(a->proto), a->port);
			ret = EXIT_USAGE;
		}
		goto out;
	}
	if (ret != EXIT_OK)
		goto out;
	group_dir(g, dir, sizeof(dir));
	if (stat(dir, &st)) {
		pr_warn("%s port %u is not steered by portscope\n", proto_name(g->proto), g->port);
		ret = EXIT_USAGE;
		goto out;
	}
	err = detach_group(g);
	if (err) {
		pr_warn("cannot detach from the group: %s\n", strerror(-err));
		ret = EXIT_FAIL;
		goto out;
	}
	pins_remove(dir);
	printf("%s %u: kernel hash restored\n", proto_name(g->proto), g->port);
out:
	groups_free(&gs);
	return ret;
}

/* ---- cleanup ------------------------------------------------------------------ */

/* Every member socket closed: the sockarray is empty. */
static int group_closed(const struct pinned *p)
{
	__u64 cookie;
	__u32 k;

	for (k = 0; k < PS_MAX_MEMBERS; k++)
		if (!bpf_map_lookup_elem(p->fd[M_MEMBERS], &k, &cookie))
			return 0;
	return 1;
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

int steer_cleanup(void)
{
	struct groups_filter gf = { .all = 1 };
	char dir[PATH_MAX], here[32];
	const struct group *g;
	struct groups gs = {};
	struct stat ns = {};
	struct dirent *de;
	struct pinned p;
	int n = 0, err, closed;
	DIR *d = opendir(STEER_ROOT);

	if (!d)
		return 0;
	stat("/proc/self/ns/net", &ns);
	snprintf(here, sizeof(here), "net%lu-", (unsigned long)ns.st_ino);
	groups_collect(&gs, &gf);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), STEER_ROOT "/%.200s", de->d_name);
		err = open_pinned(dir, &p);
		if (!err) {
			closed = group_closed(&p);
			close_pinned(&p);
			if (!closed)
				continue;
			pins_remove(dir);
			printf("removed steering state of %s (no member sockets left)\n", de->d_name);
			n++;
			continue;
		}
		if (err != -ESTALE)
			continue;
		if (strncmp(de->d_name, here, strlen(here))) {
			printf("left %s: incomplete, from another network namespace (run cleanup there)\n",
			       de->d_name);
			continue;
		}
		g = group_of_dir(&gs, dir);
		err = reset_incomplete(g, dir);
		if (err == -EBUSY) {
			printf("left %s: a loader is steering it now\n", de->d_name);
		} else if (err) {
			pr_warn("cannot reset %s: %s\n", de->d_name, strerror(-err));
		} else {
			printf("removed incomplete steering state of %s (its loader died)%s\n", de->d_name,
			       g ? "; the group is on the kernel's hash" : "");
			n++;
		}
	}
	closedir(d);
	groups_free(&gs);
	return n;
}

/* ---- status ------------------------------------------------------------------- */

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
	}
	return 0;
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
		err = current_policy(p, &v->policy);
	if (err)
		return err;
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
	return 0;
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

const char *steer_reason_name(int r)
{
	return r >= 0 && r < PS_S_MAX ? steer_reason_names[r] : "?";
}

const char *policy_name(__u32 policy)
{
	return policy < PS_POL_MAX ? policy_names[policy] : "?";
}

static void status_one(const struct pinned *p, const char *name, int json)
{
	struct steer_view v;
	size_t i;

	if (read_view(p, &v))
		return;
	if (json) {
		printf("{\"group\":");
		json_str(stdout, name);
		printf(",\"policy\":\"%s\",\"members\":[", policy_names[v.policy]);
	} else {
		printf("%s  policy %s\n", name, policy_names[v.policy]);
		printf("  %-4s %-20s %-8s %-15s %6s %-8s %10s %9s %7s\n", "SLOT", "COOKIE", "PID",
		       "COMM", "WEIGHT", "STATE", "SELECTED", "MIGRATED", "ACTIVE");
	}
	for (i = 0; i < v.n; i++) {
		const struct steer_member *m = &v.m[i];

		if (json) {
			printf("%s{\"slot\":%u,\"cookie\":%" PRIu64 ",\"pid\":%u,\"comm\":", i ? "," : "",
			       m->slot, (uint64_t)m->info.cookie, m->info.pid);
			json_str(stdout, m->info.comm);
			printf(",\"weight\":%u,\"drained\":%s,\"selected\":%" PRIu64 ",\"migrated_in\":%" PRIu64
			       ",\"active\":%" PRId64 "}",
			       m->info.weight, m->info.drained ? "true" : "false", (uint64_t)m->st.selected,
			       (uint64_t)m->st.migrated_in, (int64_t)m->active);
		} else {
			printf("  %-4u %-20" PRIu64 " %-8u %-15s %6u %-8s %10" PRIu64 " %9" PRIu64 " %7" PRId64 "\n",
			       m->slot, (uint64_t)m->info.cookie, m->info.pid, m->info.comm, m->info.weight,
			       m->info.drained ? "drained" : "live", (uint64_t)m->st.selected,
			       (uint64_t)m->st.migrated_in, (int64_t)m->active);
		}
	}
	if (json) {
		printf("],\"reasons\":{");
		for (i = 0; i < PS_S_MAX; i++)
			printf("%s\"%s\":%" PRIu64, i ? "," : "", steer_reason_names[i], (uint64_t)v.reasons[i]);
		printf("}}\n");
	} else {
		printf(" ");
		for (i = 0; i < PS_S_MAX; i++)
			printf(" %s %" PRIu64, steer_reason_names[i], (uint64_t)v.reasons[i]);
		printf("\n");
	}
}

static int steer_status(int json)
{
	char dir[PATH_MAX + 300];
	struct dirent *de;
	struct pinned p;
	DIR *d = opendir(STEER_ROOT);
	int n = 0;

	if (d) {
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(dir, sizeof(dir), STEER_ROOT "/%s", de->d_name);
			if (open_pinned(dir, &p))
				continue;
			status_one(&p, de->d_name, json);
			close_pinned(&p);
			n++;
		}
		closedir(d);
	}
	if (!n && !json)
		printf("no steered groups\n");
	return EXIT_OK;
}

int cmd_steer(int argc, char **argv)
{
	struct steer_args a = {};
	int json = 0, mode = 0;	/* 0 on, 1 off, 2 status */
	const char *port_arg = NULL;

	if (parse_steer_args(argc, argv, &a, &json))
		return EXIT_USAGE;
	if (optind < argc && !strcmp(argv[optind], "off")) {
		mode = 1;
		optind++;
	} else if (optind < argc && !strcmp(argv[optind], "status")) {
		mode = 2;
		optind++;
	}
	if (mode == 2) {
		if (optind < argc) {
			pr_warn("steer status takes no arguments\n");
			return EXIT_USAGE;
		}
		return steer_status(json);
	}
	/* getopt moved the operands after the options: [off|status] PORT */
	if (optind < argc)
		port_arg = argv[optind++];
	if (optind < argc) {
		pr_warn("unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (!port_arg) {
		pr_warn("steer needs a port; see 'portscope steer --help'\n");
		return EXIT_USAGE;
	}
	if (parse_port(port_arg, &a.port))
		return EXIT_USAGE;
	if (require_caps(NEED_BPF | NEED_NET_ADMIN | NEED_PTRACE))
		return EXIT_USAGE;
	if (mode == 1)
		return steer_off(&a);
	return steer_on(&a);
}
