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
#include "lib/pins.h"
#include "observe/live.h"
#include "steer/steer.h"
#include "view/render.h"

struct observer_cfg {
	struct attach_req req;
	struct port_list ports;
	int pin;
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
	char name[32];
	int i, had = l->n, err;

	if (o->req.oo.flow_entries || o->ports.n)
		pr_warn("note: --flow-entries and --port apply to the first attach only\n");
	err = live_add_ifaces(l, &o->req);
	for (i = had; !err && i < l->n; i++) {
		snprintf(name, sizeof(name), "link-%s", l->ifs[i].name);
		err = pin_fd(l->ifs[i].link_fd, OBSERVE_PINS, name);
	}
	return err;
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
	if (require_caps(NEED_BPF | NEED_NET_ADMIN) || ifaces_check(&o->req))
		return EXIT_USAGE;
	o->req.oo.ports = o->ports.n ? o->ports.v : NULL;
	o->req.oo.nports = o->ports.n;
	if (live_open_pinned(&l)) {
		err = live_attach(&l, &o->req);
		err = err ?: live_pin(&l);
		if (err)
			pins_remove(OBSERVE_PINS);
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
	struct said s;
	struct live l;
	size_t i;
	int k, found;

	if (live_open_pinned(&l)) {
		pr_warn("the observer is not attached (nothing pinned under %s)\n", OBSERVE_PINS);
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
	live_close(&l);
	if (!k)
		pins_remove(OBSERVE_PINS);
	return EXIT_OK;
}

/* ---- status ---------------------------------------------------------------------- */

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

static void iface_text(const struct ps_attach_info *ai)
{
	struct tm tm;
	time_t t = ai->since;
	char when[32];

	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	printf("  %-16s %-7u %-6s %-20s %s\n", ai->ifname, ai->ifindex, mode_name(ai->mode), when,
	       live_link_ifindex(ai->ifname) ? "attached" : "stale (device gone)");
}

static void iface_json(json_writer_t *w, const struct ps_attach_info *ai)
{
	jsonw_start_object(w);
	jsonw_string_field(w, "ifname", ai->ifname);
	jsonw_uint_field(w, "ifindex", ai->ifindex);
	jsonw_string_field(w, "mode", mode_name(ai->mode));
	jsonw_uint_field(w, "since", ai->since);
	jsonw_bool_field(w, "attached", live_link_ifindex(ai->ifname) != 0);
	jsonw_end_object(w);
}

static void table_json(json_writer_t *w, const struct snapshot *s)
{
	render_json_flow_table(w, s);
	jsonw_uint_field(w, "ports", s->nports);
	jsonw_uint_field(w, "packets", snapshot_class_total(s));
}

static void status_text(const struct live *l, const struct snapshot *s, int steered)
{
	struct ps_attach_info ai;
	__u32 k;

	printf("observer: program %u, pinned under %s\n  %-16s %-7s %-6s %-20s %s\n",
	       live_pinned_prog_id(), OBSERVE_PINS, "IFACE", "IFINDEX", "MODE", "SINCE", "LINK");
	for (k = 0; k < PS_MAX_IFACES; k++)
		if (!bpf_map_lookup_elem(l->info_fd, &k, &ai) && ai.ifindex)
			iface_text(&ai);
	printf("  flow table %zu of %u entries, %" PRIu64 " evicted, %" PRIu64
	       " insert failures; %zu ports; %" PRIu64 " packets\n",
	       s->nflows, s->flow_capacity, (uint64_t)flows_evicted(s),
	       (uint64_t)s->reasons[PS_R_FLOW_INSERT_FAIL], s->nports, (uint64_t)snapshot_class_total(s));
	printf("steering: %d group%s (portscope steer status)\n", steered, steered == 1 ? "" : "s");
}

static void status_json(const struct live *l, const struct snapshot *s, int steered)
{
	struct ps_attach_info ai;
	json_writer_t w;
	__u32 k;

	jsonw_init(&w, stdout);
	jsonw_start_object(&w);
	jsonw_name(&w, "observer");
	if (!l) {
		jsonw_null(&w);
	} else {
		jsonw_start_object(&w);
		jsonw_uint_field(&w, "prog_id", live_pinned_prog_id());
		jsonw_name(&w, "interfaces");
		jsonw_start_array(&w);
		for (k = 0; k < PS_MAX_IFACES; k++)
			if (!bpf_map_lookup_elem(l->info_fd, &k, &ai) && ai.ifindex)
				iface_json(&w, &ai);
		jsonw_end_array(&w);
		table_json(&w, s);
		jsonw_end_object(&w);
	}
	jsonw_int_field(&w, "steered_groups", steered);
	jsonw_end_object(&w);
	jsonw_newline(&w);
}

static int run_status(void *cfg, const struct common *c)
{
	int steered = count_steered();
	struct snapshot s;
	struct live l;

	(void)cfg;
	if (live_open_pinned(&l)) {
		if (c->json)
			status_json(NULL, NULL, steered);
		else
			printf("observer: not attached\nsteering: %d group%s (portscope steer status)\n",
			       steered, steered == 1 ? "" : "s");
		return EXIT_OK;
	}
	if (snapshot_read(&l.fds, &s)) {
		live_close(&l);
		pr_warn("cannot read the observer's maps\n");
		return EXIT_FAIL;
	}
	(c->json ? status_json : status_text)(&l, &s, steered);
	snapshot_free(&s);
	live_close(&l);
	return EXIT_OK;
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
	{ NULL },
};

static const struct opt detach_opts[] = {
	IFACE_ROW("an interface to detach from (repeatable; default: all)"),
	{ NULL },
};

const struct cmd cmd_attach = {
	.name = "attach",
	.summary = "attach the XDP observer and pin it (persistent mode)",
	.about = "Attach the XDP observer to interfaces and leave it there: the program, its\n"
		 "maps and one bpf_link per interface are pinned under /sys/fs/bpf/portscope/\n"
		 "(directory 0700, files 0600). top, flows and metrics then read the pinned\n"
		 "maps; 'portscope detach' takes it away. Native XDP is tried first, then\n"
		 "generic (skb); the mode used is printed. An interface that already has an XDP\n"
		 "program is refused, naming it.",
	.examples = "sudo portscope attach -i eth0 --pin\nsudo portscope attach -i eth1 --mode skb",
	.opts = attach_opts,
	.cfg_size = sizeof(struct observer_cfg),
	.run = run_attach,
	.json = 1,
};

const struct cmd cmd_detach = {
	.name = "detach",
	.summary = "detach the pinned observer ([-i IF]...)",
	.about = "Detach the pinned observer from the interfaces given (default: all) and\n"
		 "remove its pins once no interface is left.",
	.examples = "sudo portscope detach -i eth0\nsudo portscope detach",
	.opts = detach_opts,
	.cfg_size = sizeof(struct observer_cfg),
	.run = run_detach,
	.json = 1,
};

const struct cmd cmd_status = {
	.name = "status",
	.summary = "what portscope has attached where, since when, table fill",
	.about = "What portscope has attached where, in which mode, since when; how full its\n"
		 "flow table is and what it evicted; how many groups it steers.",
	.examples = "sudo portscope status\nsudo portscope status --json",
	.run = run_status,
	.json = 1,
};

const struct cmd cmd_cleanup = {
	.name = "cleanup",
	.summary = "remove portscope's stale pins (gone devices, closed groups)",
	.about = "Remove portscope's stale state: links whose interface is gone or that were\n"
		 "never pinned, steered groups whose sockets are all closed, the half-made\n"
		 "steering of a loader that died (the group goes back to the kernel's hash).\n"
		 "Nothing that is in use, and nothing not portscope's.",
	.examples = "sudo portscope cleanup",
	.run = run_cleanup,
	.json = 1,
};
