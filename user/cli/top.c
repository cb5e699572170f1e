// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * portscope top and portscope flows: the live observer, read every interval.
 * With -i the observer is attached for the command's lifetime (bpf_link:
 * detached on exit, and by the kernel if the process dies); without, the
 * maps pinned by 'portscope attach' are read.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli/commands.h"
#include "lib/caps.h"
#include "lib/fmt.h"
#include "lib/log.h"
#include "lib/netns.h"
#include "lib/signals.h"
#include "view/model.h"
#include "view/render.h"
#include "view/render_ports.h"
#include "view/render_tui.h"

struct live_cfg {
	struct attach_req req;
	struct view_opts vo;
	double interval;
	__u32 count;		/* snapshots; 0: until interrupted */
	int once;
	int batch;		/* text snapshots even on a terminal */
	__u32 top;		/* flows: rows */
	struct netns_sel ns;
};

static const struct live_cfg top_defaults = { .interval = 1, .top = 20 };

static int parse_sort(const char *s, void *field)
{
	enum sort_key k;

	if (!strcmp(s, "flows")) {
		*(int *)field = SORT_FLOWS;
		return 0;
	}
	if (!parse_sort_key(s, &k)) {
		*(int *)field = k;
		return 0;
	}
	pr_warn("invalid --sort '%s': use pkts, bytes, new, flows or port\n", s);
	return -1;
}

/* Capabilities and the observer, attached or pinned. */
static int start_live(struct live_cfg *a, struct live *l)
{
	int ret;

	if (netns_choose(&a->ns, a->vo.all_netns, NETNS_VISITS | NETNS_FROM) || require_caps(NEED_BPF | NEED_NET_ADMIN))
		return EXIT_USAGE;
	ret = live_open(l, &a->req);
	if (!ret)
		stop_on_signals();
	return ret;
}

/* Read, build, print, every interval. */
static int run_snapshots(struct live *l, const struct live_cfg *a, int json)
{
	struct view_clock clk;
	struct port_view v;
	__u32 n = 0;
	int err = view_start(&l->fds, &clk);

	while (!err && !ps_stop && (!a->count || n < a->count)) {
		sleep_unless_stopped(a->interval);
		if (ps_stop)
			break;
		err = view_next(&l->fds, &clk, &a->vo, &v);
		if (err)
			break;
		(json ? ports_json : ports_text)(&v, l);
		view_done(&v, &clk);
		n++;
	}
	view_stop(&clk);
	return err;
}

static int run_top(void *cfg, const struct common *c)
{
	struct live_cfg *a = cfg;
	struct live l;
	int ret, err;

	if (a->once)
		a->count = 1;
	ret = start_live(a, &l);
	if (ret)
		return ret;
	if (isatty(STDOUT_FILENO) && !a->batch && !c->json && !a->count)
		err = tui_top(&l, &a->vo, a->interval, &ps_stop, NULL);
	else
		err = run_snapshots(&l, a, c->json);
	live_close(&l);
	if (err) {
		pr_warn("cannot read the observer: %s\n", strerror(-err));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* ---- flows -------------------------------------------------------------------------- */

static int keep_flow(const struct flow_row *r, const struct view_opts *o)
{
	return (!o->port || r->key.dport == o->port) && (!o->proto || r->key.proto == o->proto);
}

static void flow_text(const struct flow_row *r, double age, double idle)
{
	char src[64], dst[64], fl[9];

	printf("%-5s %-47s %-47s %10llu %12llu %7.1fs %7.1fs %s\n", proto_name(r->key.proto),
	       fmt_endpoint(r->key.saddr, r->key.family, r->key.sport, src, sizeof(src)),
	       fmt_endpoint(r->key.daddr, r->key.family, r->key.dport, dst, sizeof(dst)),
	       (unsigned long long)r->st.packets, (unsigned long long)r->st.bytes, age, idle,
	       r->key.proto == IPPROTO_TCP ? fmt_tcp_flags(r->st.tcp_flags, fl) : "-");
}

static void flow_json(json_writer_t *w, const struct flow_row *r, double age, double idle)
{
	jsonw_start_object(w);
	render_json_flow(w, r);
	jsonw_float_field(w, "age_s", "%.3f", age);
	jsonw_float_field(w, "idle_s", "%.3f", idle);
	jsonw_end_object(w);
}

static void print_flows(const struct snapshot *s, size_t entries, size_t top, int json)
{
	struct timespec ts;
	json_writer_t w;
	size_t i, shown = 0;
	__u64 now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	jsonw_init(&w, stdout);
	if (json) {
		jsonw_start_object(&w);
		jsonw_name(&w, "flows");
		jsonw_start_array(&w);
	} else {
		printf("%-5s %-47s %-47s %10s %12s %8s %8s %s\n", "PROTO", "SOURCE", "DESTINATION",
		       "PACKETS", "BYTES", "AGE", "IDLE", "FLAGS");
	}
	for (i = 0; i < s->nflows && (!top || shown < top); i++, shown++) {
		const struct flow_row *r = &s->flows[i];
		double age = r->st.first_ns < now ? (now - r->st.first_ns) / 1e9 : 0;
		double idle = r->st.last_ns < now ? (now - r->st.last_ns) / 1e9 : 0;

		if (json)
			flow_json(&w, r, age, idle);
		else
			flow_text(r, age, idle);
	}
	if (!json) {
		if (shown < s->nflows)
			printf("(%zu more; --top 0 shows all)\n", s->nflows - shown);
		return;
	}
	jsonw_end_array(&w);
	jsonw_uint_field(&w, "shown", shown);
	jsonw_uint_field(&w, "matching", s->nflows);
	jsonw_uint_field(&w, "entries", entries);
	jsonw_uint_field(&w, "capacity", s->flow_capacity);
	jsonw_end_object(&w);
	jsonw_newline(&w);
}

static int run_flows(void *cfg, const struct common *c)
{
	struct live_cfg *a = cfg;
	struct snapshot s;
	struct live l;
	size_t i, j, entries;
	int ret, err;

	ret = start_live(a, &l);
	if (ret)
		return ret;
	if (a->req.ifaces.n)
		sleep_unless_stopped(a->interval);
	err = snapshot_read(&l.fds, &s);
	live_close(&l);
	if (err) {
		pr_warn("cannot read the observer: %s\n", strerror(-err));
		return EXIT_FAIL;
	}
	entries = s.nflows;
	for (i = j = 0; i < s.nflows; i++)
		if (keep_flow(&s.flows[i], &a->vo))
			s.flows[j++] = s.flows[i];
	s.nflows = j;
	sort_flows(s.flows, s.nflows, a->vo.sort == SORT_FLOWS ? SORT_PACKETS : (enum sort_key)a->vo.sort);
	print_flows(&s, entries, a->top, c->json);
	snapshot_free(&s);
	return EXIT_OK;
}

/* ---- the tables -------------------------------------------------------------------- */

#define LIVE(f) OPTF(live_cfg, f)
#define IFACE_ROW { "iface", 'i', OPT_STRS, LIVE(req.ifaces), "IFACE", \
		    "attach to IFACE for as long as this runs (repeatable)", .values = "@iface", \
		    .max_count = PS_MAX_IFACES }
#define MODE_ROW { "mode", 'm', OPT_FUNC, LIVE(req.mode), "MODE", "force native or skb", \
		   .parse = parse_mode, .values = "native skb" }
#define PORT_ROW { "port", 'p', OPT_PORT, LIVE(vo.port), "P", "only port P" }
#define PROTO_ROW { "proto", 'P', OPT_PROTO, LIVE(vo.proto), "PROTO", "only tcp or udp", \
		    .values = "tcp udp" }

static const struct opt top_opts[] = {
	IFACE_ROW,
	MODE_ROW,
	{ "interval", 'd', OPT_SECONDS, LIVE(interval), "S",
	  "seconds between snapshots (default 1; 0.1..3600)", .min = 0.1, .max = 3600 },
	{ "batch", 'b', OPT_FLAG, LIVE(batch), NULL, "text snapshots, not the screen" },
	{ "once", 'o', OPT_FLAG, LIVE(once), NULL, "one snapshot (after one interval) and exit" },
	{ "count", 'c', OPT_U32, LIVE(count), "N", "N snapshots and exit", .min = 1, .max = 1000000 },
	{ "sort", 's', OPT_FUNC, LIVE(vo.sort), "KEY", "pkts (default), bytes, new, flows or port",
	  .parse = parse_sort, .values = "pkts bytes new flows port" },
	PORT_ROW,
	PROTO_ROW,
	{ "all", 'a', OPT_FLAG, LIVE(vo.all_ports), NULL, "do not fold ephemeral ports",
	  .alias = "all-ports" },
	{ "flow-entries", 'F', OPT_U32, LIVE(req.oo.flow_entries), "N",
	  "flow table size when attaching (default 65536)", .min = 1, .max = 1u << 24 },
	OPT_NETNS_ROW(live_cfg, ns),
	OPT_ALL_NETNS_ROW(live_cfg, vo.all_netns, "listeners of every network namespace: a port's\n"
			  "traffic joined with the namespace its destination\n"
			  "address lives in (a row each)"),
	{ NULL },
};

static const struct opt flows_opts[] = {
	IFACE_ROW,
	MODE_ROW,
	{ "interval", 'd', OPT_SECONDS, LIVE(interval), "S",
	  "with -i: seconds of traffic to collect (default 1; 0.1..3600)", .min = 0.1, .max = 3600 },
	PORT_ROW,
	PROTO_ROW,
	{ "top", 'n', OPT_U32, LIVE(top), "N", "at most N flows (default 20; 0: all)", .max = 1u << 30 },
	{ "sort", 's', OPT_FUNC, LIVE(vo.sort), "KEY", "pkts (default), bytes, new or port",
	  .parse = parse_sort, .values = "pkts bytes new port" },
	OPT_NETNS_ROW(live_cfg, ns),
	{ NULL },
};

const struct cmd cmd_top = {
	.name = "top",
	.summary = "live per-port traffic with the processes listening (-i IF)",
	.about = "Per-port traffic, live: one row per (protocol, destination port) with\n"
		 "packets/s, bytes/s, new connections/s, RST/s, flows in the table, flows\n"
		 "active in the last interval, distinct client addresses, established\n"
		 "connections, and the processes listening on the port (the one serving each\n"
		 "socket first, other holders counted) with portscope's or another program's\n"
		 "steering of its reuseport group. Ports in ip_local_port_range that nobody\n"
		 "listens on (replies to this host's own connections) fold into one row per\n"
		 "protocol unless --all.\n"
		 "\n"
		 "On a terminal this is a live screen (keys: q quit, s next sort key,\n"
		 "u tcp/udp/all, e fold or unfold ephemeral ports, / port filter); otherwise,\n"
		 "or with --batch, a text snapshot is printed every interval until Ctrl-C.\n"
		 "\n"
		 "With -i the observer is attached for as long as top runs (native XDP first,\n"
		 "then generic); without, the maps pinned by 'portscope attach' (in the same\n"
		 "network namespace) are read. --netns NS does all of it inside NS.\n"
		 "\n"
		 "--all-netns joins the traffic with the listeners of every network namespace\n"
		 "on the host: a flow belongs to the namespace whose interface holds its\n"
		 "destination address (a routed or bridged container address), and each row is\n"
		 "led by that namespace and the server's container. A port whose traffic went\n"
		 "to several namespaces gets a row each, counted from the flow table (RST/s is\n"
		 "per port only: '-'); what the table evicted stays in a row marked '?'.\n"
		 "Attach on the uplink clients' traffic arrives by (the NIC, or the bridge port\n"
		 "it enters by), not on the bridge device: XDP sees what a device receives, and\n"
		 "a bridge device receives only what is for the host itself. A DNAT'd published\n"
		 "port is seen before translation: its traffic is the host's port.",
	.examples = "sudo portscope top -i eth0\nsudo portscope top --once --json --port 443\n"
		    "sudo portscope top -i eth0 --all-netns\nsudo portscope top --netns c1 -i eth0",
	.notes = "--all-ports, the older spelling of --all, still works.",
	.opts = top_opts,
	.cfg_size = sizeof(struct live_cfg),
	.defaults = &top_defaults,
	.run = run_top,
	.json = 1,
};

const struct cmd cmd_flows = {
	.name = "flows",
	.summary = "the 5-tuple flow table (-i IF, or the pinned observer)",
	.about = "The 5-tuple table: source and destination address and port, protocol,\n"
		 "packets, bytes, age (since first seen), idle time and TCP flags seen.\n"
		 "With -i the observer is attached, traffic is collected for --interval\n"
		 "seconds (default 1), and the table printed; without, the pinned maps are\n"
		 "read at once.",
	.examples = "sudo portscope flows --port 443 --top 50\nsudo portscope flows -i eth0 --interval 5 --json",
	.opts = flows_opts,
	.cfg_size = sizeof(struct live_cfg),
	.defaults = &top_defaults,
	.run = run_flows,
	.json = 1,
};
