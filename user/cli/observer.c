// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The observer's persistent mode: portscope attach | detach | status | cleanup. */
#include <dirent.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cli/commands.h"
#include "lib/caps.h"
#include "lib/json_writer.h"
#include "lib/log.h"
#include "lib/netns.h"
#include "lib/pins.h"
#include "observe/live.h"
#include "steer/state.h"
#include "steer/steer.h"
#include "view/render.h"

struct observer_cfg {
	struct attach_req req;
	struct port_list ports;
	int pin;
	struct netns_sel ns;
	int all_netns;
};

/* What detach and cleanup did, a line each, or a JSON array of lines. */
struct said {
	json_writer_t w;
	int json;
};

static void said_start(struct said *s, const struct common *c, const char *name)
{
	s->json = c->json;
	if (!s->json)
		return;
	jsonw_init(&s->w, stdout);
	jsonw_start_object(&s->w);
	jsonw_name(&s->w, name);
	jsonw_start_array(&s->w);
}

static void say(void *ctx, const char *what)
{
	struct said *s = ctx;

	if (s->json)
		jsonw_string(&s->w, what);
	else
		printf("%s\n", what);
}

static void said_end(struct said *s)
{
	if (!s->json)
		return;
	jsonw_end_array(&s->w);
	jsonw_end_object(&s->w);
	jsonw_newline(&s->w);
}

/* ---- attach ---------------------------------------------------------------------- */

static void print_attached(const struct live *l, int from, const struct common *c)
{
	json_writer_t w;
	int i;

	jsonw_init(&w, stdout);
	if (c->json) {
		jsonw_start_object(&w);
		jsonw_name(&w, "attached");
		jsonw_start_array(&w);
	}
	for (i = from; i < l->n; i++) {
		if (!c->json) {
			printf("attached to %s (%s)\n", l->ifs[i].name, mode_name(l->ifs[i].mode));
			continue;
		}
		jsonw_start_object(&w);
		jsonw_string_field(&w, "ifname", l->ifs[i].name);
		jsonw_string_field(&w, "mode", mode_name(l->ifs[i].mode));
		jsonw_end_object(&w);
	}
	if (c->json) {
		jsonw_end_array(&w);
		jsonw_end_object(&w);
		jsonw_newline(&w);
	}
}

/* The pinned program and maps, on more interfaces. */
static int attach_more(struct live *l, const struct observer_cfg *o)
{
	int had = l->n, err;

	if (o->req.oo.flow_entries || o->ports.n)
		pr_warn("note: --flow-entries and --port apply to the first attach only\n");
	err = live_add_ifaces(l, &o->req);
	return err ?: live_pin_links(l, had);
}

static int run_attach(void *cfg, const struct common *c)
{
	struct observer_cfg *o = cfg;
	struct live l;
	int err;

	if (!o->req.ifaces.n) {
		pr_warn("attach needs an interface: -i IFACE\n");
		return EXIT_USAGE;
	}
	if (netns_choose(&o->ns, 0, 0) || require_caps(NEED_BPF | NEED_NET_ADMIN) || ifaces_check(&o->req))
		return EXIT_USAGE;
	o->req.oo.ports = o->ports.n ? o->ports.v : NULL;
	o->req.oo.nports = o->ports.n;
	if (!live_open_pinned(&l) && live_stale(&l)) {
		pins_remove(l.dir);	/* an observer of a namespace gone, nothing left on a device */
		live_close(&l);
	}
	if (live_open_pinned(&l)) {
		err = live_attach(&l, &o->req);
		err = err ?: live_pin(&l);
		if (err && l.dir[0])
			pins_remove(l.dir);
	} else {
		err = attach_more(&l, o);
	}
	if (!err)
		print_attached(&l, l.n - (int)o->req.ifaces.n, c);
	live_close(&l);	/* the pins hold what stays */
	return err ? EXIT_FAIL : EXIT_OK;
}

/* ---- detach ---------------------------------------------------------------------- */

static int run_detach(void *cfg, const struct common *c)
{
	struct observer_cfg *o = cfg;
	char dir[PATH_MAX];
	struct said s;
	struct live l;
	size_t i;
	int k, found;

	if (netns_choose(&o->ns, 0, 0))
		return EXIT_USAGE;
	if (live_open_pinned(&l)) {
		pr_warn("the observer is not attached in this network namespace (nothing pinned under %s)\n",
			l.dir);
		return EXIT_USAGE;
	}
	for (i = 0; i < o->req.ifaces.n; i++) {
		for (found = 0, k = 0; k < l.n; k++)
			found |= !strcmp(l.ifs[k].name, o->req.ifaces.v[i]);
		if (!found) {
			pr_warn("portscope is not attached to '%s'\n", o->req.ifaces.v[i]);
			live_close(&l);
			return EXIT_USAGE;
		}
	}
	said_start(&s, c, "detached");
	k = live_detach(&l, &o->req.ifaces, say, &s);
	said_end(&s);
	snprintf(dir, sizeof(dir), "%s", l.dir);
	live_close(&l);
	if (!k)
		pins_remove(dir);
	return EXIT_OK;
}

/* ---- status ---------------------------------------------------------------------- */

/* Steered groups, in this namespace and in all. */
static void count_steered(int *here, int *all)
{
	char prefix[40];
	struct dirent *de;
	DIR *d = opendir(STEER_PINS);

	netns_prefix(prefix, sizeof(prefix));
	*here = *all = 0;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		(*all)++;
		*here += !strncmp(de->d_name, prefix, strlen(prefix));
	}
	if (d)
		closedir(d);
}

static void iface_text(const char *dir, const struct ps_attach_info *ai)
{
	struct tm tm;
	time_t t = ai->since;
	char when[32];

	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	printf("  %-16s %-7u %-6s %-20s %s\n", ai->ifname, ai->ifindex, mode_name(ai->mode), when,
	       live_link_ifindex(dir, ai->ifname) ? "attached" : "stale (device gone)");
}

static void iface_json(json_writer_t *w, const char *dir, const struct ps_attach_info *ai)
{
	jsonw_start_object(w);
	jsonw_string_field(w, "ifname", ai->ifname);
	jsonw_uint_field(w, "ifindex", ai->ifindex);
	jsonw_string_field(w, "mode", mode_name(ai->mode));
	jsonw_uint_field(w, "since", ai->since);
	jsonw_bool_field(w, "attached", live_link_ifindex(dir, ai->ifname) != 0);
	jsonw_end_object(w);
}

/* One observer: where, its interfaces, its table. label: its namespace
 * (--all-netns), or NULL. */
static void observer_text(const struct live *l, const struct snapshot *s, const char *label)
{
	struct ps_attach_info ai;
	__u32 k;

	printf("observer%s%s: program %u, pinned under %s\n  %-16s %-7s %-6s %-20s %s\n",
	       label ? " in netns " : "", label ? label : "", live_pinned_prog_id(l->dir), l->dir, "IFACE",
	       "IFINDEX", "MODE", "SINCE", "LINK");
	for (k = 0; k < PS_MAX_IFACES; k++)
		if (!bpf_map_lookup_elem(l->info_fd, &k, &ai) && ai.ifindex)
			iface_text(l->dir, &ai);
	printf("  flow table %zu of %u entries, %" PRIu64 " evicted, %" PRIu64
	       " insert failures; %zu ports; %" PRIu64 " packets\n",
	       s->nflows, s->flow_capacity, (uint64_t)flows_evicted(s),
	       (uint64_t)s->reasons[PS_R_FLOW_INSERT_FAIL], s->nports, (uint64_t)snapshot_class_total(s));
}

/* The observer's object, left open for the caller's fields. */
static void observer_json(json_writer_t *w, const struct live *l, const struct snapshot *s)
{
	struct ps_attach_info ai;
	__u32 k;

	jsonw_start_object(w);
	jsonw_uint_field(w, "prog_id", live_pinned_prog_id(l->dir));
	jsonw_string_field(w, "pins", l->dir);
	jsonw_name(w, "interfaces");
	jsonw_start_array(w);
	for (k = 0; k < PS_MAX_IFACES; k++)
		if (!bpf_map_lookup_elem(l->info_fd, &k, &ai) && ai.ifindex)
			iface_json(w, l->dir, &ai);
	jsonw_end_array(w);
	render_json_flow_table(w, s);
	jsonw_uint_field(w, "ports", s->nports);
	jsonw_uint_field(w, "packets", snapshot_class_total(s));
}

static void steered_text(int here, int all, int all_netns)
{
	if (all_netns)
		printf("steering: %d group%s (portscope steer status --all-netns)\n", all, all == 1 ? "" : "s");
	else
		printf("steering: %d group%s (portscope steer status)%s\n", here, here == 1 ? "" : "s",
		       all > here ? "; more in other network namespaces" : "");
}

/* status: this namespace's observer. */
static int status_here(const struct common *c)
{
	struct snapshot s;
	struct live l;
	json_writer_t w;
	int here, all, pinned = !live_open_pinned(&l);

	count_steered(&here, &all);
	if (pinned && snapshot_read(&l.fds, &s)) {
		live_close(&l);
		pr_warn("cannot read the observer's maps\n");
		return EXIT_FAIL;
	}
	if (!c->json) {
		if (pinned)
			observer_text(&l, &s, NULL);
		else
			printf("observer: not attached\n");
		steered_text(here, all, 0);
	} else {
		jsonw_init(&w, stdout);
		jsonw_start_object(&w);
		jsonw_name(&w, "observer");
		if (pinned) {
			observer_json(&w, &l, &s);
			jsonw_end_object(&w);
		} else {
			jsonw_null(&w);
		}
		jsonw_int_field(&w, "steered_groups", here);
		jsonw_int_field(&w, "steered_groups_all_netns", all);
		jsonw_end_object(&w);
		jsonw_newline(&w);
	}
	if (pinned) {
		snapshot_free(&s);
		live_close(&l);
	}
	return EXIT_OK;
}

/* status --all-netns: every namespace's observer. */
struct status_all {
	const struct netns_list *nl;
	json_writer_t *w;	/* NULL: text */
	int n;
};

/* "c1 (4026532001)", "4026532001", or why there is none */
static void observer_label(const struct netns_entry *e, __u64 netns, char *buf, size_t len)
{
	if (!netns)
		snprintf(buf, len, "unknown (pinned by portscope 0.2)");
	else if (!e)
		snprintf(buf, len, "%llu (gone: 'portscope cleanup' removes it)", (unsigned long long)netns);
	else if (e->name[0])
		snprintf(buf, len, "%s (%llu)", e->name, (unsigned long long)netns);
	else
		snprintf(buf, len, "%llu", (unsigned long long)netns);
}

static void status_one(void *ctx, const char *dir, __u64 netns)
{
	const struct netns_entry *e = netns ? netns_find(((struct status_all *)ctx)->nl, netns) : NULL;
	struct status_all *a = ctx;
	struct snapshot s;
	struct live l;
	char label[128];

	if (live_open_pinned_at(&l, dir))
		return;
	if (snapshot_read(&l.fds, &s)) {
		live_close(&l);
		return;
	}
	observer_label(e, netns, label, sizeof(label));
	if (a->w) {
		observer_json(a->w, &l, &s);
		netns_json(a->w, e, netns);
		jsonw_end_object(a->w);
	} else {
		observer_text(&l, &s, label);
	}
	a->n++;
	snapshot_free(&s);
	live_close(&l);
}

static int status_all(const struct common *c)
{
	struct netns_list nl = {};
	struct status_all a = { &nl, NULL, 0 };
	json_writer_t w;
	int here, all;

	netns_list_all(&nl);
	count_steered(&here, &all);
	if (c->json) {
		a.w = &w;
		jsonw_init(&w, stdout);
		jsonw_start_object(&w);
		jsonw_name(&w, "observers");
		jsonw_start_array(&w);
	}
	live_each(status_one, &a);
	if (c->json) {
		jsonw_end_array(&w);
		jsonw_int_field(&w, "steered_groups", all);
		jsonw_end_object(&w);
		jsonw_newline(&w);
	} else {
		if (!a.n)
			printf("observer: not attached in any network namespace\n");
		steered_text(here, all, 1);
	}
	netns_list_free(&nl);
	return EXIT_OK;
}

static int run_status(void *cfg, const struct common *c)
{
	struct observer_cfg *o = cfg;

	if (netns_choose(&o->ns, o->all_netns, 0))
		return EXIT_USAGE;
	return o->all_netns ? status_all(c) : status_here(c);
}

/* ---- cleanup --------------------------------------------------------------------- */

static int run_cleanup(void *cfg, const struct common *c)
{
	struct said s;
	int n;

	(void)cfg;
	said_start(&s, c, "removed");
	n = live_cleanup(say, &s);
	n += steer_cleanup(say, &s);
	if (!n && !c->json)
		printf("nothing to clean\n");
	said_end(&s);
	return EXIT_OK;
}

/* ---- the tables ------------------------------------------------------------------- */

#define IFACE_ROW(help) { "iface", 'i', OPT_STRS, OPTF(observer_cfg, req.ifaces), "IFACE", help, \
			  .values = "@iface", .max_count = PS_MAX_IFACES }

static const struct opt attach_opts[] = {
	IFACE_ROW("an interface (repeatable)"),
	{ "pin", 0, OPT_FLAG, OPTF(observer_cfg, pin), NULL, "pin and exit (the default, and the only way)" },
	{ "mode", 'm', OPT_FUNC, OPTF(observer_cfg, req.mode), "MODE", "force native or skb",
	  .parse = parse_mode, .values = "native skb" },
	{ "flow-entries", 'F', OPT_U32, OPTF(observer_cfg, req.oo.flow_entries), "N",
	  "flow table size (default 65536; first attach only)", .min = 1, .max = 1u << 24 },
	{ "port", 'p', OPT_PORTS, OPTF(observer_cfg, ports), "P",
	  "count only port P (repeatable; first attach only)" },
	OPT_NETNS_ROW(observer_cfg, ns),
	{ NULL },
};

static const struct opt detach_opts[] = {
	IFACE_ROW("an interface to detach from (repeatable; default: all)"),
	OPT_NETNS_ROW(observer_cfg, ns),
	{ NULL },
};

static const struct opt status_opts[] = {
	OPT_NETNS_ROW(observer_cfg, ns),
	OPT_ALL_NETNS_ROW(observer_cfg, all_netns, "every network namespace's observer, each labelled"),
	{ NULL },
};

const struct cmd cmd_attach = {
	.name = "attach",
	.summary = "attach the XDP observer and pin it (persistent mode)",
	.about = "Attach the XDP observer to interfaces and leave it there: the program, its\n"
		 "maps and one bpf_link per interface are pinned under\n"
		 "/sys/fs/bpf/portscope/observe/net<inode>/, one observer per network\n"
		 "namespace (directories 0700, files 0600). top, flows and metrics in the same\n"
		 "namespace then read the pinned maps; 'portscope detach' takes it away. Native\n"
		 "XDP is tried first, then generic (skb); the mode used is printed. An\n"
		 "interface that already has an XDP program is refused, naming it.",
	.examples = "sudo portscope attach -i eth0 --pin\nsudo portscope attach -i eth1 --mode skb\n"
		    "sudo portscope attach --netns c1 -i eth0",
	.opts = attach_opts,
	.cfg_size = sizeof(struct observer_cfg),
	.run = run_attach,
	.json = 1,
};

const struct cmd cmd_detach = {
	.name = "detach",
	.summary = "detach the pinned observer ([-i IF]...)",
	.about = "Detach this network namespace's pinned observer (--netns NS: NS's) from the\n"
		 "interfaces given (default: all) and remove its pins once no interface is left.",
	.examples = "sudo portscope detach -i eth0\nsudo portscope detach",
	.opts = detach_opts,
	.cfg_size = sizeof(struct observer_cfg),
	.run = run_detach,
	.json = 1,
};

const struct cmd cmd_status = {
	.name = "status",
	.summary = "what portscope has attached where, since when, table fill",
	.about = "What portscope has attached where in this network namespace (--netns NS:\n"
		 "NS's; --all-netns: every namespace's observer), in which mode, since when;\n"
		 "how full its flow table is and what it evicted; how many groups it steers.",
	.examples = "sudo portscope status\nsudo portscope status --json\nsudo portscope status --all-netns",
	.opts = status_opts,
	.cfg_size = sizeof(struct observer_cfg),
	.run = run_status,
	.json = 1,
};

const struct cmd cmd_cleanup = {
	.name = "cleanup",
	.summary = "remove portscope's stale pins (gone devices, closed groups)",
	.about = "Remove portscope's stale state, in every network namespace: links whose\n"
		 "interface is gone (a deleted namespace takes its interfaces) or that were\n"
		 "never pinned, steered groups whose sockets are all closed or whose namespace\n"
		 "is gone, the half-made steering of a loader that died (the group goes back to\n"
		 "the kernel's hash; in another namespace this takes CAP_SYS_ADMIN). Nothing\n"
		 "that is in use, and nothing not portscope's.",
	.examples = "sudo portscope cleanup",
	.run = run_cleanup,
	.json = 1,
};
