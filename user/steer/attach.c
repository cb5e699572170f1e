// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * First time on a group: load bpf/steer.bpf.c, pin its maps, borrow every
 * member socket from the process serving it and put it in the
 * REUSEPORT_SOCKARRAY, write a configuration, attach the program to the group
 * (SO_ATTACH_REUSEPORT_EBPF on one member), pin the program last, and close
 * every borrowed fd at once: a duplicate held here would keep a dead
 * worker's listener open. The directory is locked all along, so cleanup does
 * not undo a loader at work; a directory without the program's pin is
 * incomplete, and steer and cleanup undo it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "lib/caps.h"
#include "lib/loadlog.h"
#include "lib/log.h"
#include "lib/pins.h"
#include "steer/attach.h"
#include "steer/members.h"
#include "steer/state.h"
#include "steer.skel.h"

#ifndef SO_ATTACH_REUSEPORT_EBPF
#define SO_ATTACH_REUSEPORT_EBPF 52
#endif
#ifndef SO_DETACH_REUSEPORT_BPF
#define SO_DETACH_REUSEPORT_BPF 68
#endif

struct loaded {
	struct steer_bpf *skel;
	struct bpf_program *prog;	/* steer, or steer_loops */
	struct bpf_link *link;		/* least-conn's tracker, or NULL */
};

/*
 * The program is 'steer' (bpf_loop, 5.17+) or 'steer_loops' (older
 * kernels; PS_STEER_PROG=steer_loops forces it for tests), both verified with
 * CAP_BPF + CAP_NET_ADMIN; least-conn's tracker is loaded when CAP_PERFMON allows tracing.
 */
static int load_program(struct loaded *ld, const struct group *g, const struct steer_req *r)
{
	const char *force = getenv("PS_STEER_PROG");
	bool loops;
	int err;

	ld->skel = steer_bpf__open();
	if (!ld->skel)
		return -errno;
	ld->skel->rodata->group_port = g->port;
	/* the UDP flow table: an LRU hash is allocated whole; a TCP group
	 * needs none (the kernel rounds 1 up to one entry per CPU) */
	bpf_map__set_max_entries(ld->skel->maps.udp_flows,
				 g->proto != IPPROTO_UDP ? 1 : r->udp_entries ?: PS_UDP_FLOWS_DEFAULT);
	loops = libbpf_probe_bpf_helper(BPF_PROG_TYPE_SK_REUSEPORT, BPF_FUNC_loop, NULL) <= 0 ||
		(force && !strcmp(force, "steer_loops"));
	ld->prog = loops ? ld->skel->progs.steer_loops : ld->skel->progs.steer;
	bpf_program__set_autoload(loops ? ld->skel->progs.steer : ld->skel->progs.steer_loops, false);
	bpf_program__set_autoload(ld->skel->progs.track_state, have_perfmon());
	loadlog_begin();
	err = steer_bpf__load(ld->skel);
	loadlog_end(err, "the steering program");
	if (err)
		return err;
	if (!bpf_program__autoload(ld->skel->progs.track_state))
		return 0;
	ld->link = bpf_program__attach(ld->skel->progs.track_state);
	if (!ld->link) {
		err = -errno;
		pr_warn("cannot attach the connection tracker: %s\n", strerror(-err));
	}
	return err;
}

/* The maps and the tracker's link; the program is pinned apart, last. */
static int pin_maps(const struct loaded *ld, const char *dir)
{
	struct bpf_map *maps[M_N] = {
		[M_MEMBERS] = ld->skel->maps.members, [M_CFG] = ld->skel->maps.cfg,
		[M_META] = ld->skel->maps.meta, [M_RR] = ld->skel->maps.rr,
		[M_STATS] = ld->skel->maps.slot_stats, [M_ACTIVE] = ld->skel->maps.active,
		[M_REASONS] = ld->skel->maps.steer_reasons, [M_CONNS] = ld->skel->maps.conns,
		[M_SLOTS] = ld->skel->maps.slots, [M_UDP_FLOWS] = ld->skel->maps.udp_flows,
		[M_QUIC_IDS] = ld->skel->maps.quic_ids,
	};
	int i, err = 0;

	for (i = 0; i < M_N && !err; i++)
		err = pin_fd(bpf_map__fd(maps[i]), dir, steer_map_names[i]);
	if (!err && ld->link)
		err = pin_fd(bpf_link__fd(ld->link), dir, "track_state");
	if (err)
		pr_warn("cannot pin under %s: %s\n", dir, strerror(-err));
	return err;
}

/* Members, weights and drains, and the first configuration. */
static int fill_maps(const char *dir, const struct group *g, const struct steer_mode *m,
		     const struct steer_req *r)
{
	struct pinned p;
	int changed, err = open_maps(dir, &p);

	if (!err)
		err = sync_members(&p, g, &changed);
	if (!err)
		err = write_args(&p, r, m);
	if (!err)
		err = publish(&p, m);
	close_pinned(&p);
	if (err && err != -EINVAL)
		pr_warn("cannot fill the group's maps: %s\n", strerror(-err));
	return err;
}

static int attach_fd(int fd, void *prog_fd)
{
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF, prog_fd, sizeof(int)) ? -errno : 0;
}

static int detach_fd(int fd, void *unused)
{
	int dummy = 0;

	(void)unused;
	return setsockopt(fd, SOL_SOCKET, SO_DETACH_REUSEPORT_BPF, &dummy, sizeof(dummy)) &&
	       errno != ENOENT ? -errno : 0;
}

/* The program belongs to the group once attached through any one member. */
static int attach_and_pin(const struct group *g, const struct loaded *ld, const char *dir)
{
	int prog_fd = bpf_program__fd(ld->prog);
	int err = with_member_fd(g, attach_fd, &prog_fd);

	if (err) {
		pr_warn("cannot attach to the group: %s\n", strerror(-err));
		return err;
	}
	err = pin_fd(prog_fd, dir, "steer");
	if (err) {
		pr_warn("cannot pin the program: %s\n", strerror(-err));
		detach_group(g);
	}
	return err;
}

int attach_group(const struct group *g, const char *dir, const struct steer_mode *m, const struct steer_req *r)
{
	struct loaded ld = {};
	int err, lk = -1;

	err = load_program(&ld, g, r);
	if (err)
		goto out;
	err = pins_prepare(dir);
	if (!err) {
		lk = lock_group(dir);
		err = lk < 0 ? -errno : 0;
	}
	if (err)
		pr_warn("cannot pin under %s: %s\n", dir, strerror(-err));
	err = err ?: pin_maps(&ld, dir);
	err = err ?: fill_maps(dir, g, m, r);
	err = err ?: attach_and_pin(g, &ld, dir);
	if (err)
		pins_remove(dir);
out:
	unlock_group(lk);
	bpf_link__destroy(ld.link);	/* the pin keeps it attached */
	steer_bpf__destroy(ld.skel);
	return err;
}

int detach_group(const struct group *g)
{
	return with_member_fd(g, detach_fd, NULL);
}

int reset_incomplete(const struct group *g, const char *dir)
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
