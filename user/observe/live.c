// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Attaching the XDP observer to interfaces (bpf_link: a loader that dies
 * detaches), and its pins for the persistent mode.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "observe/live.h"
#include "lib/log.h"
#include "lib/netns.h"
#include "lib/pins.h"

static const char *const obs_maps[] = { "ports", "flows", "reasons", "info" };

int parse_mode(const char *s, void *field)
{
	__u32 *mode = field;

	if (!strcmp(s, "native"))
		*mode = XDP_FLAGS_DRV_MODE;
	else if (!strcmp(s, "skb") || !strcmp(s, "generic"))
		*mode = XDP_FLAGS_SKB_MODE;
	else {
		pr_warn("invalid --mode '%s': use native or skb\n", s);
		return -EINVAL;
	}
	return 0;
}

const char *mode_name(__u32 mode)
{
	return mode == XDP_FLAGS_DRV_MODE ? "native" : mode == XDP_FLAGS_SKB_MODE ? "skb" : "?";
}

static int prog_name(__u32 id, char *name, size_t len)
{
	struct bpf_prog_info info = {};
	__u32 ilen = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	snprintf(name, len, "?");
	if (fd < 0)
		return -errno;
	if (!bpf_obj_get_info_by_fd(fd, &info, &ilen))
		snprintf(name, len, "%s", info.name);
	close(fd);
	return 0;
}

void live_dir(char *buf, size_t len)
{
	snprintf(buf, len, OBSERVE_PINS "/net%llu", (unsigned long long)netns_self());
	if (access(buf, F_OK) && !access(OBSERVE_PINS "/observe", F_OK))
		snprintf(buf, len, OBSERVE_PINS);	/* pinned by 0.2 */
}

void live_each(void (*fn)(void *ctx, const char *dir, __u64 netns), void *ctx)
{
	unsigned long long ino;
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(OBSERVE_PINS);

	if (!access(OBSERVE_PINS "/observe", F_OK))
		fn(ctx, OBSERVE_PINS, 0);
	while (d && (de = readdir(d))) {
		if (sscanf(de->d_name, "net%llu", &ino) != 1 || strlen(de->d_name) > 32)
			continue;
		snprintf(dir, sizeof(dir), OBSERVE_PINS "/%s", de->d_name);
		fn(ctx, dir, ino);
	}
	if (d)
		closedir(d);
}

__u32 live_pinned_prog_id(const char *dir)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX + 16], here[PATH_MAX];
	int fd;

	if (!dir)
		live_dir(here, sizeof(here));
	snprintf(path, sizeof(path), "%s/observe", dir ? dir : here);
	fd = bpf_obj_get(path);

	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.id = 0;
	close(fd);
	return info.id;
}

int ifaces_check(const struct attach_req *r)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct ifreq ifr;
	char name[BPF_OBJ_NAME_LEN];
	int i, j, idx, sk, up;

	for (i = 0; i < (int)r->ifaces.n; i++) {
		for (j = 0; j < i; j++)
			if (!strcmp(r->ifaces.v[i], r->ifaces.v[j])) {
				pr_warn("interface '%s' given twice\n", r->ifaces.v[i]);
				return -EINVAL;
			}
		idx = if_nametoindex(r->ifaces.v[i]);
		if (!idx || strlen(r->ifaces.v[i]) >= IF_NAMESIZE) {
			pr_warn("no interface '%s'\n", r->ifaces.v[i]);
			return -EINVAL;
		}
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", r->ifaces.v[i]);
		sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		up = sk >= 0 && !ioctl(sk, SIOCGIFFLAGS, &ifr) && (ifr.ifr_flags & IFF_UP);
		if (sk >= 0)
			close(sk);
		if (!up) {
			pr_warn("interface '%s' is down\n", r->ifaces.v[i]);
			return -EINVAL;
		}
		if (bpf_xdp_query(idx, 0, &q) || !q.prog_id)
			continue;
		if (q.prog_id == live_pinned_prog_id(NULL)) {
			pr_warn("portscope is already attached to '%s' ('portscope status')\n", r->ifaces.v[i]);
			return -EINVAL;
		}
		prog_name(q.prog_id, name, sizeof(name));
		pr_warn("'%s' already has an XDP program: '%s' (id %u); detach it first\n",
			r->ifaces.v[i], name, q.prog_id);
		return -EINVAL;
	}
	return 0;
}

/* A bpf_link for prog on ifindex: the forced mode, or native then generic. */
static int link_iface(int prog_fd, struct live_iface *li, __u32 want)
{
	__u32 modes[2] = { XDP_FLAGS_DRV_MODE, XDP_FLAGS_SKB_MODE };
	int i, fd = -1, err = -EINVAL;

	if (want)
		modes[0] = modes[1] = want;
	for (i = 0; i < 2 && fd < 0; i++) {
		LIBBPF_OPTS(bpf_link_create_opts, o, .flags = modes[i]);

		fd = bpf_link_create(prog_fd, li->ifindex, BPF_XDP, &o);
		if (fd < 0) {
			err = -errno;
			pr_debug("%s: %s mode: %s\n", li->name, mode_name(modes[i]), strerror(-err));
		} else {
			li->mode = modes[i];
		}
	}
	if (fd < 0) {
		pr_warn("cannot attach to '%s': %s\n", li->name, strerror(-err));
		return err;
	}
	li->link_fd = fd;
	pr_info("attached to %s (%s)\n", li->name, mode_name(li->mode));
	return 0;
}

static void record(const struct live *l, const struct live_iface *li)
{
	struct ps_attach_info ai = {}, cur;
	__u32 k, free_k = PS_MAX_IFACES;

	for (k = 0; k < PS_MAX_IFACES; k++) {
		if (bpf_map_lookup_elem(l->info_fd, &k, &cur) || !cur.ifindex) {
			if (free_k == PS_MAX_IFACES)
				free_k = k;
		} else if (cur.ifindex == (__u32)li->ifindex) {
			free_k = k;
			break;
		}
	}
	if (free_k == PS_MAX_IFACES)
		return;
	ai.ifindex = li->ifindex;
	ai.mode = li->mode;
	ai.since = time(NULL);
	snprintf(ai.ifname, sizeof(ai.ifname), "%s", li->name);
	bpf_map_update_elem(l->info_fd, &free_k, &ai, BPF_ANY);
}

int live_add_ifaces(struct live *l, const struct attach_req *r)
{
	struct live_iface *li;
	int i, err;

	for (i = 0; i < (int)r->ifaces.n; i++) {
		if (l->n == PS_MAX_IFACES) {
			pr_warn("at most %d interfaces\n", PS_MAX_IFACES);
			return -E2BIG;
		}
		li = &l->ifs[l->n];
		snprintf(li->name, sizeof(li->name), "%s", r->ifaces.v[i]);
		li->ifindex = if_nametoindex(li->name);
		li->link_fd = -1;
		err = link_iface(l->prog_fd, li, r->mode);
		if (err)
			return err;
		record(l, li);
		l->n++;
	}
	return 0;
}

int live_attach(struct live *l, const struct attach_req *r)
{
	int err;

	memset(l, 0, sizeof(*l));
	l->prog_fd = l->info_fd = -1;
	live_dir(l->dir, sizeof(l->dir));
	err = observer_load(&l->ob, &r->oo);
	if (err)
		return err;
	l->prog_fd = bpf_program__fd(l->ob.prog);
	l->fds.ports = bpf_map__fd(l->ob.skel->maps.ports);
	l->fds.flows = bpf_map__fd(l->ob.skel->maps.flows);
	l->fds.reasons = bpf_map__fd(l->ob.skel->maps.reasons);
	l->info_fd = bpf_map__fd(l->ob.skel->maps.info);
	err = live_add_ifaces(l, r);
	if (err)
		live_close(l);
	return err;
}

int live_open_pinned(struct live *l)
{
	char dir[PATH_MAX];

	live_dir(dir, sizeof(dir));
	return live_open_pinned_at(l, dir);
}

int live_open_pinned_at(struct live *l, const char *dir)
{
	int *fds[] = { &l->fds.ports, &l->fds.flows, &l->fds.reasons, &l->info_fd };
	struct ps_attach_info ai;
	char path[PATH_MAX + 32];
	__u32 k;
	int i, err;

	memset(l, 0, sizeof(*l));
	l->pinned = 1;
	snprintf(l->dir, sizeof(l->dir), "%s", dir);
	snprintf(path, sizeof(path), "%s/observe", dir);
	l->prog_fd = bpf_obj_get(path);
	if (l->prog_fd < 0)
		return -errno;
	for (i = 0; i < 4; i++)
		*fds[i] = -1;
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, obs_maps[i]);
		*fds[i] = bpf_obj_get(path);
		if (*fds[i] < 0) {
			err = -errno;
			live_close(l);
			return err;
		}
	}
	for (k = 0; k < PS_MAX_IFACES; k++) {
		if (bpf_map_lookup_elem(l->info_fd, &k, &ai) || !ai.ifindex)
			continue;
		snprintf(path, sizeof(path), "%s/link-%s", dir, ai.ifname);
		if (access(path, F_OK))
			continue;	/* recorded, but its loader died before pinning the link */
		l->ifs[l->n].ifindex = ai.ifindex;
		l->ifs[l->n].mode = ai.mode;
		l->ifs[l->n].link_fd = -1;
		snprintf(l->ifs[l->n].name, IF_NAMESIZE, "%s", ai.ifname);
		l->n++;
	}
	return 0;
}

int live_open(struct live *l, const struct attach_req *r)
{
	if (r->ifaces.n) {
		if (ifaces_check(r))
			return EXIT_USAGE;
		return live_attach(l, r) ? EXIT_FAIL : EXIT_OK;
	}
	if (live_open_pinned(l)) {
		pr_warn("nothing attached: use -i IFACE, or 'portscope attach -i IFACE --pin' first\n");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

void live_close(struct live *l)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (l->ifs[i].link_fd >= 0)
			close(l->ifs[i].link_fd);	/* detaches: nothing else holds it */
	if (l->ob.skel) {
		observer_destroy(&l->ob);
	} else {
		int fds[] = { l->prog_fd, l->fds.ports, l->fds.flows, l->fds.reasons, l->info_fd };

		for (i = 0; i < 5; i++)
			if (fds[i] > 0)
				close(fds[i]);
	}
	memset(l, 0, sizeof(*l));
}

int live_stale(const struct live *l)
{
	int i;

	if (!l->n)
		return 0;	/* none recorded: being attached now, or half-made (cleanup's) */
	for (i = 0; i < l->n; i++)
		if (live_link_ifindex(l->dir, l->ifs[i].name))
			return 0;
	return 1;
}

int live_pin_links(struct live *l, int from)
{
	char name[32];
	int i, err = 0;

	for (i = from; !err && i < l->n; i++) {
		snprintf(name, sizeof(name), "link-%s", l->ifs[i].name);
		err = pin_fd(l->ifs[i].link_fd, l->dir, name);
	}
	return err;
}

int live_pin(struct live *l)
{
	int err = pins_prepare(l->dir);

	if (!err)
		err = pin_fd(l->prog_fd, l->dir, "observe");
	if (!err)
		err = pin_fd(l->fds.ports, l->dir, "ports");
	if (!err)
		err = pin_fd(l->fds.flows, l->dir, "flows");
	if (!err)
		err = pin_fd(l->fds.reasons, l->dir, "reasons");
	if (!err)
		err = pin_fd(l->info_fd, l->dir, "info");
	if (!err)
		err = pin_fd(bpf_map__fd(l->ob.skel->maps.port_filter), l->dir, "port_filter");
	return err ?: live_pin_links(l, 0);
}

/* A pinned XDP link still on its interface? (0 when the device is gone) */
__u32 live_link_ifindex(const char *dir, const char *ifname)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX + 32];
	int fd;

	snprintf(path, sizeof(path), "%s/link-%s", dir, ifname);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.xdp.ifindex = 0;
	close(fd);
	return info.xdp.ifindex;
}

int live_detach(struct live *l, const struct str_list *want, void (*say)(void *, const char *),
		void *ctx)
{
	struct ps_attach_info ai, zero = {};
	char path[PATH_MAX + 32], msg[64];
	size_t i;
	int left = 0, found;
	__u32 k;

	for (k = 0; k < PS_MAX_IFACES; k++) {
		if (bpf_map_lookup_elem(l->info_fd, &k, &ai) || !ai.ifindex)
			continue;
		for (found = !want->n, i = 0; i < want->n; i++)
			found |= !strcmp(ai.ifname, want->v[i]);
		if (!found) {
			left++;
			continue;
		}
		snprintf(path, sizeof(path), "%s/link-%s", l->dir, ai.ifname);
		unlink(path);	/* the pin was the link's last holder: detached */
		bpf_map_update_elem(l->info_fd, &k, &zero, BPF_ANY);
		snprintf(msg, sizeof(msg), "detached from %s", ai.ifname);
		say(ctx, msg);
	}
	return left;
}

/* Links whose device is gone, or that were never pinned (their loader died). */
static int clean_links(struct live *l, void (*say)(void *, const char *), void *ctx, int *left)
{
	struct ps_attach_info ai, zero = {};
	char path[PATH_MAX + 32], msg[128];
	int n = 0, pinned;
	__u32 k;

	for (k = 0; k < PS_MAX_IFACES; k++) {
		if (bpf_map_lookup_elem(l->info_fd, &k, &ai) || !ai.ifindex)
			continue;
		snprintf(path, sizeof(path), "%s/link-%s", l->dir, ai.ifname);
		pinned = !access(path, F_OK);
		if (pinned && live_link_ifindex(l->dir, ai.ifname)) {
			(*left)++;
			continue;
		}
		unlink(path);
		bpf_map_update_elem(l->info_fd, &k, &zero, BPF_ANY);
		snprintf(msg, sizeof(msg), "removed the observer's link on %s (%s)", ai.ifname,
			 pinned ? "device gone" : "never pinned: its loader died");
		say(ctx, msg);
		n++;
	}
	return n;
}

struct clean_ctx {
	void (*say)(void *, const char *);
	void *ctx;
	int n;
};

/* One observer's directory. */
static void clean_one(void *ctx, const char *dir, __u64 netns)
{
	struct clean_ctx *c = ctx;
	char of[40] = "", msg[128];
	struct live l;
	int left = 0;

	if (netns)
		snprintf(of, sizeof(of), " of net:%llu", (unsigned long long)netns);
	if (live_open_pinned_at(&l, dir)) {
		pins_remove(dir);	/* a half-made attach */
		snprintf(msg, sizeof(msg), "removed an incomplete observer pin directory%s", of);
		c->say(c->ctx, msg);
		c->n++;
		return;
	}
	c->n += clean_links(&l, c->say, c->ctx, &left);
	live_close(&l);
	if (left)
		return;
	pins_remove(dir);
	snprintf(msg, sizeof(msg), "removed the observer's pins%s (no interface left)", of);
	c->say(c->ctx, msg);
	c->n++;
}

int live_cleanup(void (*say)(void *, const char *), void *ctx)
{
	struct clean_ctx c = { say, ctx, 0 };

	live_each(clean_one, &c);
	/* observe/ made, its namespace's directory not yet: a loader died */
	if (!rmdir(OBSERVE_PINS)) {
		say(ctx, "removed an incomplete observer pin directory");
		c.n++;
		rmdir(PIN_ROOT);
	}
	return c.n;
}
