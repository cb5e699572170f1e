// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Attaching the XDP observer to interfaces, and the persistent mode:
 * portscope attach | detach | status | cleanup.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
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
#include "attach.h"
#include "caps.h"
#include "log.h"
#include "model.h"
#include "parse_arg.h"
#include "pins.h"
#include "steer.h"

static const char *const obs_maps[] = { "ports", "flows", "reasons", "info" };

int parse_mode(const char *s, __u32 *mode)
{
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

static __u32 pinned_prog_id(void)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(OBSERVE_PINS "/observe");

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

	for (i = 0; i < r->n; i++) {
		for (j = 0; j < i; j++)
			if (!strcmp(r->ifaces[i], r->ifaces[j])) {
				pr_warn("interface '%s' given twice\n", r->ifaces[i]);
				return -EINVAL;
			}
		idx = if_nametoindex(r->ifaces[i]);
		if (!idx || strlen(r->ifaces[i]) >= IF_NAMESIZE) {
			pr_warn("no interface '%s'\n", r->ifaces[i]);
			return -EINVAL;
		}
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", r->ifaces[i]);
		sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		up = sk >= 0 && !ioctl(sk, SIOCGIFFLAGS, &ifr) && (ifr.ifr_flags & IFF_UP);
		if (sk >= 0)
			close(sk);
		if (!up) {
			pr_warn("interface '%s' is down\n", r->ifaces[i]);
			return -EINVAL;
		}
		if (bpf_xdp_query(idx, 0, &q) || !q.prog_id)
			continue;
		if (q.prog_id == pinned_prog_id()) {
			pr_warn("portscope is already attached to '%s' ('portscope status')\n", r->ifaces[i]);
			return -EINVAL;
		}
		prog_name(q.prog_id, name, sizeof(name));
		pr_warn("'%s' already has an XDP program: '%s' (id %u); detach it first\n",
			r->ifaces[i], name, q.prog_id);
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

static int add_ifaces(struct live *l, const struct attach_req *r)
{
	struct live_iface *li;
	int i, err;

	for (i = 0; i < r->n; i++) {
		if (l->n == PS_MAX_IFACES) {
			pr_warn("at most %d interfaces\n", PS_MAX_IFACES);
			return -E2BIG;
		}
		li = &l->ifs[l->n];
		snprintf(li->name, sizeof(li->name), "%s", r->ifaces[i]);
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
	err = observer_load(&l->ob, &r->oo);
	if (err)
		return err;
	l->prog_fd = bpf_program__fd(l->ob.prog);
	l->fds.ports = bpf_map__fd(l->ob.skel->maps.ports);
	l->fds.flows = bpf_map__fd(l->ob.skel->maps.flows);
	l->fds.reasons = bpf_map__fd(l->ob.skel->maps.reasons);
	l->info_fd = bpf_map__fd(l->ob.skel->maps.info);
	err = add_ifaces(l, r);
	if (err)
		live_close(l);
	return err;
}

int live_open_pinned(struct live *l)
{
	int *fds[] = { &l->fds.ports, &l->fds.flows, &l->fds.reasons, &l->info_fd };
	struct ps_attach_info ai;
	char path[PATH_MAX];
	__u32 k;
	int i, err;

	memset(l, 0, sizeof(*l));
	l->pinned = 1;
	l->prog_fd = bpf_obj_get(OBSERVE_PINS "/observe");
	if (l->prog_fd < 0)
		return -errno;
	for (i = 0; i < 4; i++)
		*fds[i] = -1;
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), OBSERVE_PINS "/%s", obs_maps[i]);
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
		snprintf(path, sizeof(path), OBSERVE_PINS "/link-%s", ai.ifname);
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
	if (r->n) {
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

/* ---- attach --pin --------------------------------------------------------- */

static void attach_usage(FILE *f)
{
	fputs("Usage: portscope attach -i IFACE [-i IFACE]... [--pin] [--mode native|skb]\n"
	      "                        [--flow-entries N] [--port P]...\n"
	      "\n"
	      "Attach the XDP observer to interfaces and leave it there: the program, its\n"
	      "maps and one bpf_link per interface are pinned under /sys/fs/bpf/portscope/\n"
	      "(--pin, the only way 'attach' works). top, flows and metrics then read the\n"
	      "pinned maps; 'portscope detach' takes it away. Native XDP is tried first, then\n"
	      "generic (skb); the mode used is printed. An interface that already has an XDP\n"
	      "program is refused.\n"
	      "\n"
	      "Options:\n"
	      "  -i, --iface IFACE      an interface (repeatable)\n"
	      "  -P, --pin              pin and exit (the default)\n"
	      "  -m, --mode MODE        force native or skb\n"
	      "  -F, --flow-entries N   flow table size (default 65536; first attach only)\n"
	      "  -p, --port P           count only port P (repeatable; first attach only)\n"
	      "\n"
	      "Examples:\n"
	      "  sudo portscope attach -i eth0 --pin\n"
	      "  sudo portscope attach -i eth1 --mode skb\n",
	      f);
}

/* Options shared by attach and the live commands (-i, --mode, filters). */
int parse_attach_opt(int c, const char *arg, struct attach_req *r, uint16_t *ports, size_t maxports)
{
	uint64_t v;

	switch (c) {
	case 'i':
		if (r->n == PS_MAX_IFACES) {
			pr_warn("at most %d interfaces\n", PS_MAX_IFACES);
			return -EINVAL;
		}
		r->ifaces[r->n++] = arg;
		return 0;
	case 'm':
		return parse_mode(arg, &r->mode);
	case 'F':
		if (parse_u64(arg, "--flow-entries", 1, 1u << 24, &v))
			return -EINVAL;
		r->oo.flow_entries = v;
		return 0;
	case 'p':
		if (r->oo.nports == maxports) {
			pr_warn("too many --port options (at most %zu)\n", maxports);
			return -EINVAL;
		}
		if (parse_port(arg, &ports[r->oo.nports]))
			return -EINVAL;
		r->oo.nports++;
		r->oo.ports = ports;
		return 0;
	}
	return -ENOENT;
}

static int pin_new(struct live *l)
{
	int i, err = pins_prepare(OBSERVE_PINS);
	char name[32];

	if (!err)
		err = pin_fd(l->prog_fd, OBSERVE_PINS, "observe");
	if (!err)
		err = pin_fd(l->fds.ports, OBSERVE_PINS, "ports");
	if (!err)
		err = pin_fd(l->fds.flows, OBSERVE_PINS, "flows");
	if (!err)
		err = pin_fd(l->fds.reasons, OBSERVE_PINS, "reasons");
	if (!err)
		err = pin_fd(l->info_fd, OBSERVE_PINS, "info");
	if (!err)
		err = pin_fd(bpf_map__fd(l->ob.skel->maps.port_filter), OBSERVE_PINS, "port_filter");
	for (i = 0; !err && i < l->n; i++) {
		snprintf(name, sizeof(name), "link-%s", l->ifs[i].name);
		err = pin_fd(l->ifs[i].link_fd, OBSERVE_PINS, name);
	}
	return err;
}

int cmd_attach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "iface", required_argument, NULL, 'i' }, { "pin", no_argument, NULL, 'P' },
		{ "mode", required_argument, NULL, 'm' },  { "flow-entries", required_argument, NULL, 'F' },
		{ "port", required_argument, NULL, 'p' },  { "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },	   {},
	};
	unsigned char seen[256] = {};
	static uint16_t ports[64];
	struct attach_req r = {};
	struct live l;
	char name[32];
	int c, err, verbose = 0, i, first;

	opterr = 0;
	while ((c = getopt_once(argc, argv, ":i:Pm:F:p:vh", opts, "ip", seen)) != -1) {
		if (c == 'P')
			continue;
		if (c == 'v') {
			verbose++;
			continue;
		}
		if (c == 'h') {
			attach_usage(stdout);
			return EXIT_OK;
		}
		err = parse_attach_opt(c, optarg, &r, ports, 64);
		if (err == -ENOENT)
			err = option_error(c, argv, "attach");
		if (err)
			return EXIT_USAGE;
	}
	log_init(verbose);
	if (optind < argc) {
		pr_warn("unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (!r.n) {
		pr_warn("attach needs an interface: -i IFACE\n");
		return EXIT_USAGE;
	}
	if (require_caps(NEED_BPF | NEED_NET_ADMIN))
		return EXIT_USAGE;
	if (ifaces_check(&r))
		return EXIT_USAGE;

	first = live_open_pinned(&l) != 0;
	if (first) {
		err = live_attach(&l, &r);
		if (!err)
			err = pin_new(&l);
		if (err)
			pins_remove(OBSERVE_PINS);
	} else {
		/* the pinned program and maps, on more interfaces */
		int had = l.n;

		if (r.oo.flow_entries || r.oo.nports)
			pr_warn("note: --flow-entries and --port apply to the first attach only\n");
		err = add_ifaces(&l, &r);
		for (i = had; !err && i < l.n; i++) {
			snprintf(name, sizeof(name), "link-%s", l.ifs[i].name);
			err = pin_fd(l.ifs[i].link_fd, OBSERVE_PINS, name);
		}
	}
	if (!err)
		for (i = l.n - r.n; i < l.n; i++)
			printf("attached to %s (%s)\n", l.ifs[i].name, mode_name(l.ifs[i].mode));
	live_close(&l);	/* the pins hold what stays */
	return err ? EXIT_FAIL : EXIT_OK;
}

/* ---- detach ------------------------------------------------------------------ */

int cmd_detach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "iface", required_argument, NULL, 'i' }, { "help", no_argument, NULL, 'h' }, {},
	};
	unsigned char seen[256] = {};
	const char *want[PS_MAX_IFACES];
	struct ps_attach_info ai, zero = {};
	char path[PATH_MAX];
	struct live l;
	int c, nwant = 0, i, left = 0, found;
	__u32 k;

	opterr = 0;
	while ((c = getopt_once(argc, argv, ":i:h", opts, "i", seen)) != -1) {
		if (c == 'h') {
			fputs("Usage: portscope detach [-i IFACE]...\n\n"
			      "Detach the pinned observer from the interfaces given (default: all) and\n"
			      "remove its pins once no interface is left.\n\n"
			      "Examples:\n  sudo portscope detach -i eth0\n  sudo portscope detach\n",
			      stdout);
			return EXIT_OK;
		}
		if (c != 'i' || nwant == PS_MAX_IFACES) {
			option_error(c, argv, "detach");
			return EXIT_USAGE;
		}
		want[nwant++] = optarg;
	}
	if (optind < argc) {
		pr_warn("unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (live_open_pinned(&l)) {
		pr_warn("the observer is not attached (nothing pinned under %s)\n", OBSERVE_PINS);
		return EXIT_USAGE;
	}
	for (i = 0; i < nwant; i++) {
		for (found = 0, c = 0; c < l.n; c++)
			found |= !strcmp(l.ifs[c].name, want[i]);
		if (!found) {
			pr_warn("portscope is not attached to '%s'\n", want[i]);
			live_close(&l);
			return EXIT_USAGE;
		}
	}
	for (k = 0; k < PS_MAX_IFACES; k++) {
		if (bpf_map_lookup_elem(l.info_fd, &k, &ai) || !ai.ifindex)
			continue;
		for (found = !nwant, i = 0; i < nwant; i++)
			found |= !strcmp(ai.ifname, want[i]);
		if (!found) {
			left++;
			continue;
		}
		snprintf(path, sizeof(path), OBSERVE_PINS "/link-%s", ai.ifname);
		unlink(path);	/* the pin was the link's last holder: detached */
		bpf_map_update_elem(l.info_fd, &k, &zero, BPF_ANY);
		printf("detached from %s\n", ai.ifname);
	}
	live_close(&l);
	if (!left)
		pins_remove(OBSERVE_PINS);
	return EXIT_OK;
}

/* ---- status ------------------------------------------------------------------ */

/* A pinned XDP link still on its interface? (0 when the device is gone) */
static __u32 link_ifindex(const char *ifname)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), OBSERVE_PINS "/link-%s", ifname);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.xdp.ifindex = 0;
	close(fd);
	return info.xdp.ifindex;
}

static int count_steered(void)
{
	struct dirent *de;
	DIR *d = opendir(STEER_PINS);
	int n = 0;

	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

int cmd_status(int argc, char **argv)
{
	struct ps_attach_info ai;
	struct snapshot s;
	struct live l;
	char when[32];
	int i, json = argc > 1 && !strcmp(argv[1], "--json");
	__u32 k;
	struct tm tm;
	time_t t;

	if (argc > 1 && !json) {
		if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
			fputs("Usage: portscope status [--json]\n\nWhat portscope has attached where, "
			      "since when, and how full its tables are.\n\n"
			      "Examples:\n  sudo portscope status\n  sudo portscope status --json\n", stdout);
			return EXIT_OK;
		}
		pr_warn("unexpected argument '%s'\n", argv[1]);
		return EXIT_USAGE;
	}
	if (live_open_pinned(&l)) {
		if (json)
			printf("{\"observer\":null,\"steered_groups\":%d}\n", count_steered());
		else
			printf("observer: not attached\nsteering: %d group%s (portscope steer status)\n",
			       count_steered(), count_steered() == 1 ? "" : "s");
		return EXIT_OK;
	}
	if (snapshot_read(&l.fds, &s)) {
		live_close(&l);
		pr_warn("cannot read the observer's maps\n");
		return EXIT_FAIL;
	}
	if (json)
		printf("{\"observer\":{\"prog_id\":%u,\"interfaces\":[", pinned_prog_id());
	else
		printf("observer: program %u, pinned under %s\n  %-16s %-7s %-6s %-20s %s\n",
		       pinned_prog_id(), OBSERVE_PINS, "IFACE", "IFINDEX", "MODE", "SINCE", "LINK");
	for (i = 0, k = 0; k < PS_MAX_IFACES; k++) {
		if (bpf_map_lookup_elem(l.info_fd, &k, &ai) || !ai.ifindex)
			continue;
		t = ai.since;
		localtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		if (json)
			printf("%s{\"ifname\":\"%s\",\"ifindex\":%u,\"mode\":\"%s\",\"since\":%" PRIu64
			       ",\"attached\":%s}",
			       i++ ? "," : "", ai.ifname, ai.ifindex, mode_name(ai.mode), (uint64_t)ai.since,
			       link_ifindex(ai.ifname) ? "true" : "false");
		else
			printf("  %-16s %-7u %-6s %-20s %s\n", ai.ifname, ai.ifindex, mode_name(ai.mode), when,
			       link_ifindex(ai.ifname) ? "attached" : "stale (device gone)");
	}
	if (json)
		printf("],\"flow_table\":{\"entries\":%zu,\"capacity\":%u,\"inserts\":%" PRIu64
		       ",\"evicted\":%" PRIu64 ",\"insert_failed\":%" PRIu64 "},\"ports\":%zu,"
		       "\"packets\":%" PRIu64 "},\"steered_groups\":%d}\n",
		       s.nflows, s.flow_capacity, (uint64_t)s.reasons[PS_R_FLOW_NEW],
		       (uint64_t)flows_evicted(&s), (uint64_t)s.reasons[PS_R_FLOW_INSERT_FAIL],
		       s.nports, (uint64_t)snapshot_class_total(&s), count_steered());
	else
		printf("  flow table %zu of %u entries, %" PRIu64 " evicted, %" PRIu64
		       " insert failures; %zu ports; %" PRIu64 " packets\n"
		       "steering: %d group%s (portscope steer status)\n",
		       s.nflows, s.flow_capacity, (uint64_t)flows_evicted(&s),
		       (uint64_t)s.reasons[PS_R_FLOW_INSERT_FAIL], s.nports,
		       (uint64_t)snapshot_class_total(&s), count_steered(),
		       count_steered() == 1 ? "" : "s");
	snapshot_free(&s);
	live_close(&l);
	return EXIT_OK;
}

/* ---- cleanup ----------------------------------------------------------------- */

int cmd_cleanup(int argc, char **argv)
{
	char path[PATH_MAX];
	struct ps_attach_info ai, zero = {};
	struct live l;
	int n = 0, left = 0, pinned;
	__u32 k;

	if (argc > 1) {
		if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
			fputs("Usage: portscope cleanup\n\nRemove portscope's stale state: links whose "
			      "interface is gone, steered groups\nwhose sockets are all closed, the "
			      "half-made steering of a loader that died\n(the group goes back to "
			      "the kernel's hash). Nothing that is in use, and nothing\nnot "
			      "portscope's.\n\n"
			      "Examples:\n  sudo portscope cleanup\n", stdout);
			return EXIT_OK;
		}
		pr_warn("unexpected argument '%s'\n", argv[1]);
		return EXIT_USAGE;
	}
	if (!live_open_pinned(&l)) {
		for (k = 0; k < PS_MAX_IFACES; k++) {
			if (bpf_map_lookup_elem(l.info_fd, &k, &ai) || !ai.ifindex)
				continue;
			snprintf(path, sizeof(path), OBSERVE_PINS "/link-%s", ai.ifname);
			pinned = !access(path, F_OK);
			if (pinned && link_ifindex(ai.ifname)) {
				left++;
				continue;
			}
			unlink(path);
			bpf_map_update_elem(l.info_fd, &k, &zero, BPF_ANY);
			printf("removed the observer's link on %s (%s)\n", ai.ifname,
			       pinned ? "device gone" : "never pinned: its loader died");
			n++;
		}
		live_close(&l);
		if (!left) {
			pins_remove(OBSERVE_PINS);
			printf("removed the observer's pins (no interface left)\n");
			n++;
		}
	} else if (!access(OBSERVE_PINS, F_OK)) {
		pins_remove(OBSERVE_PINS);	/* a half-made attach */
		printf("removed an incomplete observer pin directory\n");
		n++;
	}
	n += steer_cleanup();
	if (!n)
		printf("nothing to clean\n");
	return EXIT_OK;
}
