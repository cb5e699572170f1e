// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * portscope top and portscope flows: the live observer, read every interval.
 * With -i the observer is attached for the command's lifetime (bpf_link:
 * detached on exit, and by the kernel if the process dies); without, the
 * maps pinned by 'portscope attach' are read.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "attach.h"
#include "caps.h"
#include "groups.h"
#include "json.h"
#include "log.h"
#include "model.h"
#include "parse_arg.h"
#include "portview.h"
#include "render.h"
#include "render_tui.h"
#include "steer.h"
#include "top.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct live_args {
	struct attach_req req;
	struct view_opts vo;
	double interval;
	long count;		/* snapshots; 0: until interrupted */
	int json;
	int batch;		/* text snapshots even on a terminal */
	size_t top;		/* flows: rows */
};

/* Sleep, but wake for SIGINT/SIGTERM. */
static void pause_for(double secs)
{
	struct timespec ts = { .tv_sec = (time_t)secs, .tv_nsec = (long)((secs - (time_t)secs) * 1e9) };

	while (!stop && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- formatting --------------------------------------------------------------- */

void top_print_text(const struct port_view *v, const struct live *l)
{
	char a[16], b[16], c[16], when[16], lst[160];
	const struct snapshot *s = &v->snap;
	__u64 bytes = 0, syn = 0;
	time_t t = time(NULL);
	struct tm tm;
	size_t i;
	int k;

	for (i = 0; i < s->nports; i++) {
		bytes += s->ports[i].st.bytes;
		syn += s->ports[i].st.syn;
	}
	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	printf("portscope top  %s  every %.1fs  on", when, v->interval);
	for (k = 0; k < l->n; k++)
		printf(" %s (%s)", l->ifs[k].name, mode_name(l->ifs[k].mode));
	printf("\ntotal %s pkts/s %sB/s %s new/s | since attach %" PRIu64 " pkts %sB %" PRIu64
	       " new | flows %zu/%u, %" PRIu64 " evicted, %" PRIu64 " insert failures | malformed %" PRIu64 "\n",
	       view_human(v->pps, a, sizeof(a)), view_human(v->bps, b, sizeof(b)), view_human(v->new_ps, c, sizeof(c)),
	       (uint64_t)snapshot_class_total(s), view_human(bytes, when, sizeof(when)), (uint64_t)syn, s->nflows,
	       s->flow_capacity, (uint64_t)flows_evicted(s), (uint64_t)s->reasons[PS_R_FLOW_INSERT_FAIL],
	       (uint64_t)view_malformed(s));
	printf("%-5s %-16s %8s %8s %6s %6s %6s %6s %7s %6s  %s\n", "PROTO", "PORT", "PKTS/S",
	       "BYTES/S", "NEW/S", "RST/S", "FLOWS", "ACTIVE", "CLIENTS", "ESTAB", "LISTENERS");
	for (i = 0; i < v->n; i++) {
		const struct port_row_view *r = &v->rows[i];
		char port[24];

		if (r->folded)
			snprintf(port, sizeof(port), "(%u ephemeral)", r->folded);
		else
			snprintf(port, sizeof(port), "%u %s", r->port, r->kind == PORT_SERVICE ? "" :
					r->kind == PORT_EPHEMERAL ? "ephem" : "unbound");
		view_listeners(r, lst, sizeof(lst));
		printf("%-5s %-16s %8s %8s %6.0f %6.0f %6u %6u %7u %6u  %s\n", proto_name(r->proto), port,
		       view_human(r->pps, a, sizeof(a)), view_human(r->bps, b, sizeof(b)), r->new_ps, r->rst_ps,
		       r->flows, r->active, r->clients, r->established, lst);
	}
	printf("\n");
	fflush(stdout);
}

static void json_listeners(const struct port_row_view *r)
{
	struct steer_view sv;
	size_t g, m, h;
	char a[64];

	printf(",\"listeners\":[");
	for (g = 0; g < r->ngroups; g++) {
		const struct group *gr = r->groups[g];

		steer_view_of(gr, &sv);
		printf("%s{\"addr\":\"%s\",\"members\":%zu,\"steering\":", g ? "," : "",
		       fmt_addr(gr->addr, gr->family == AF_INET6 ? 6 : 4, a, sizeof(a)), gr->n);
		if (sv.steered)
			printf("\"portscope %s\"", policy_name(sv.policy));
		else if (gr->bpf_prog_id)
			printf("\"bpf prog %u\"", gr->bpf_prog_id);
		else
			printf("null");
		printf(",\"processes\":[");
		for (m = 0, h = 0; m < gr->n; m++)
			for (size_t k = 0; k < gr->m[m].nholders; k++, h++) {
				const struct holder *ho = &gr->m[m].holders[k];

				const struct steer_member *sm = ho->serving ? steer_member_of(&sv, gr->m[m].sk.cookie)
									    : NULL;

				printf("%s{\"pid\":%d,\"fd\":%d,\"cookie\":%" PRIu64 ",\"serving\":%s,",
				       h ? "," : "", ho->pid, ho->fd, (uint64_t)gr->m[m].sk.cookie,
				       ho->serving ? "true" : "false");
				if (sm)	/* portscope steers it: the member's counters */
					printf("\"selected\":%" PRIu64 ",\"migrated_in\":%" PRIu64 ",\"active\":%" PRId64
					       ",\"drained\":%s,", (uint64_t)sm->st.selected,
					       (uint64_t)sm->st.migrated_in, (int64_t)sm->active,
					       sm->info.drained ? "true" : "false");
				printf("\"comm\":");
				json_str(stdout, ho->comm);
				printf("}");
			}
		printf("]}");
	}
	printf("]");
}

static void print_json(const struct port_view *v, const struct live *l)
{
	const struct snapshot *s = &v->snap;
	size_t i;
	int k;

	printf("{\"time\":%ld,\"interval\":%.3f,\"interfaces\":[", (long)time(NULL), v->interval);
	for (k = 0; k < l->n; k++)
		printf("%s{\"ifname\":\"%s\",\"mode\":\"%s\"}", k ? "," : "", l->ifs[k].name,
		       mode_name(l->ifs[k].mode));
	printf("],\"rates\":{\"pkts\":%.1f,\"bytes\":%.1f,\"new\":%.1f},\"totals\":{\"packets\":%" PRIu64
	       ",\"malformed\":%" PRIu64 "},\"ports\":[",
	       v->pps, v->bps, v->new_ps, (uint64_t)snapshot_class_total(s), (uint64_t)view_malformed(s));
	for (i = 0; i < v->n; i++) {
		const struct port_row_view *r = &v->rows[i];

		printf("%s{\"proto\":\"%s\",\"port\":%u,\"kind\":\"%s\",\"folded\":%u,"
		       "\"pkts_s\":%.1f,\"bytes_s\":%.1f,\"new_s\":%.1f,\"rst_s\":%.1f,"
		       "\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"syn\":%" PRIu64 ",\"synack\":%" PRIu64
		       ",\"fin\":%" PRIu64 ",\"rst\":%" PRIu64 ",\"flows\":%u,\"active\":%u,\"clients\":%u,"
		       "\"established\":%u",
		       i ? "," : "", proto_name(r->proto), r->folded ? 0 : r->port, kind_name(r->kind),
		       r->folded, r->pps, r->bps, r->new_ps, r->rst_ps, (uint64_t)r->total.packets,
		       (uint64_t)r->total.bytes, (uint64_t)r->total.syn, (uint64_t)r->total.synack,
		       (uint64_t)r->total.fin, (uint64_t)r->total.rst, r->flows, r->active, r->clients,
		       r->established);
		json_listeners(r);
		printf("}");
	}
	printf("],");
	render_json_reasons(stdout, s);
	printf("}\n");
	fflush(stdout);
}

/* ---- arguments ------------------------------------------------------------------ */

static int parse_live_args(int argc, char **argv, struct live_args *a, const char *cmd,
			   void (*usage)(FILE *))
{
	static const struct option opts[] = {
		{ "iface", required_argument, NULL, 'i' },  { "mode", required_argument, NULL, 'm' },
		{ "flow-entries", required_argument, NULL, 'F' },
		{ "interval", required_argument, NULL, 'd' }, { "once", no_argument, NULL, 'o' },
		{ "count", required_argument, NULL, 'c' },  { "json", no_argument, NULL, 'j' },
		{ "sort", required_argument, NULL, 's' },   { "port", required_argument, NULL, 'p' },
		{ "proto", required_argument, NULL, 'P' },  { "all-ports", no_argument, NULL, 'a' },
		{ "top", required_argument, NULL, 'n' },    { "verbose", no_argument, NULL, 'v' },
		{ "batch", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },	    {},
	};
	unsigned char seen[256] = {};
	static uint16_t none[1];
	int c, verbose = 0, err;
	enum sort_key k;
	uint64_t v;

	a->interval = 1;
	a->top = 20;
	opterr = 0;
	while ((c = getopt_once(argc, argv, ":i:m:F:d:oc:js:p:P:an:vbh", opts, "i", seen)) != -1) {
		switch (c) {
		case 'b': a->batch = 1; break;
		case 'd':
			if (parse_seconds(optarg, "--interval", 0.1, 3600, &a->interval))
				return -EINVAL;
			break;
		case 'o': a->count = 1; break;
		case 'c':
			if (parse_u64(optarg, "--count", 1, 1000000, &v))
				return -EINVAL;
			a->count = v;
			break;
		case 'j': a->json = 1; break;
		case 's':
			if (!strcmp(optarg, "flows"))
				a->vo.sort = SORT_FLOWS;
			else if (!parse_sort_key(optarg, &k))
				a->vo.sort = k;
			else {
				pr_warn("invalid --sort '%s': use pkts, bytes, new, flows or port\n", optarg);
				return -EINVAL;
			}
			break;
		case 'p':
			if (parse_port(optarg, &a->vo.port))
				return -EINVAL;
			break;
		case 'P':
			if (parse_proto(optarg, &a->vo.proto))
				return -EINVAL;
			break;
		case 'a': a->vo.all_ports = 1; break;
		case 'n':
			if (parse_u64(optarg, "--top", 0, 1u << 30, &v))
				return -EINVAL;
			a->top = v;
			break;
		case 'v': verbose++; break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		default:
			err = parse_attach_opt(c, optarg, &a->req, none, 0);
			if (err == -ENOENT)
				return option_error(c, argv, cmd);
			if (err)
				return err;
		}
	}
	log_init(verbose);
	if (optind < argc) {
		pr_warn("unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* ---- top --------------------------------------------------------------------------- */

static void top_usage(FILE *f)
{
	fputs("Usage: portscope top [-i IFACE]... [--mode native|skb] [--interval S]\n"
	      "                     [--once | --count N] [--json] [--sort KEY]\n"
	      "                     [--port P] [--proto tcp|udp] [--all-ports]\n"
	      "\n"
	      "Per-port traffic, live: one row per (protocol, destination port) with\n"
	      "packets/s, bytes/s, new connections/s, RST/s, flows in the table, flows\n"
	      "active in the last interval, distinct client addresses, established\n"
	      "connections, and the processes listening on the port (the one serving each\n"
	      "socket first, other holders counted) with portscope's or another program's\n"
	      "steering of its reuseport group. Ports in ip_local_port_range that nobody\n"
	      "listens on (replies to this host's own connections) fold into one row per\n"
	      "protocol unless --all-ports.\n"
	      "\n"
	      "On a terminal this is a live screen (keys: q quit, s next sort key,\n"
	      "u tcp/udp/all, e fold or unfold ephemeral ports, / port filter); otherwise,\n"
	      "or with --batch, a text snapshot is printed every interval until Ctrl-C.\n"
	      "\n"
	      "With -i the observer is attached for as long as top runs (native XDP first,\n"
	      "then generic); without, the maps pinned by 'portscope attach' are read.\n"
	      "\n"
	      "Options:\n"
	      "  -i, --iface IFACE    attach to IFACE (repeatable)\n"
	      "  -m, --mode MODE      force native or skb\n"
	      "  -d, --interval S     seconds between snapshots (default 1; 0.1..3600)\n"
	      "  -b, --batch          text snapshots, not the screen\n"
	      "  -o, --once           one snapshot (after one interval) and exit\n"
	      "  -c, --count N        N snapshots and exit\n"
	      "  -j, --json           one JSON object per snapshot and line\n"
	      "  -s, --sort KEY       pkts (default), bytes, new, flows or port\n"
	      "  -p, --port P         only port P\n"
	      "  -P, --proto PROTO    only tcp or udp\n"
	      "  -a, --all-ports      do not fold ephemeral ports\n"
	      "  -F, --flow-entries N flow table size when attaching (default 65536)\n"
	      "\n"
	      "Examples:\n"
	      "  sudo portscope top -i eth0\n"
	      "  sudo portscope top --once --json --port 443\n",
	      f);
}

/* Read, build, print, every interval. */
static int run_top(struct live *l, const struct live_args *a)
{
	struct view_clock clk;
	struct port_view v;
	long n = 0;
	int err = view_start(&l->fds, &clk);

	while (!err && !stop && (!a->count || n < a->count)) {
		pause_for(a->interval);
		if (stop)
			break;
		err = view_next(&l->fds, &clk, &a->vo, &v);
		if (err)
			break;
		if (a->json)
			print_json(&v, l);
		else
			top_print_text(&v, l);
		view_done(&v, &clk);
		n++;
	}
	view_stop(&clk);
	return err;
}

/* Arguments, capabilities, the observer, signals: what top and flows share. */
static int start_live(int argc, char **argv, struct live_args *a, struct live *l, const char *cmd,
		      void (*usage)(FILE *))
{
	int ret;

	if (parse_live_args(argc, argv, a, cmd, usage))
		return EXIT_USAGE;
	if (require_caps(NEED_BPF | NEED_NET_ADMIN))
		return EXIT_USAGE;
	ret = live_open(l, &a->req);
	if (ret)
		return ret;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	return EXIT_OK;
}

int cmd_top(int argc, char **argv)
{
	struct live_args a = {};
	struct live l;
	int ret, err;

	ret = start_live(argc, argv, &a, &l, "top", top_usage);
	if (ret)
		return ret;
	if (isatty(STDOUT_FILENO) && !a.batch && !a.json && !a.count)
		err = tui_top(&l, &a.vo, a.interval, &stop, NULL);
	else
		err = run_top(&l, &a);
	live_close(&l);
	if (err) {
		pr_warn("cannot read the observer: %s\n", strerror(-err));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* ---- flows -------------------------------------------------------------------------- */

static void flows_usage(FILE *f)
{
	fputs("Usage: portscope flows [-i IFACE]... [--interval S] [--port P] [--proto tcp|udp]\n"
	      "                       [--top N] [--sort pkts|bytes|new|port] [--json]\n"
	      "\n"
	      "The 5-tuple table: source and destination address and port, protocol,\n"
	      "packets, bytes, age (since first seen), idle time and TCP flags seen.\n"
	      "With -i the observer is attached, traffic is collected for --interval\n"
	      "seconds (default 1), and the table printed; without, the pinned maps are\n"
	      "read at once.\n"
	      "\n"
	      "Examples:\n"
	      "  sudo portscope flows --port 443 --top 50\n"
	      "  sudo portscope flows -i eth0 --interval 5 --json\n",
	      f);
}

static int keep_flow(const struct flow_row *r, const struct view_opts *o)
{
	return (!o->port || r->key.dport == o->port) && (!o->proto || r->key.proto == o->proto);
}

int cmd_flows(int argc, char **argv)
{
	struct live_args a = {};
	struct snapshot s;
	struct live l;
	struct timespec ts;
	char src[64], dst[64], fl[9];
	__u64 now;
	size_t i, j, shown = 0, entries;
	int ret, err;

	ret = start_live(argc, argv, &a, &l, "flows", flows_usage);
	if (ret)
		return ret;
	if (a.req.n)
		pause_for(a.interval);
	err = snapshot_read(&l.fds, &s);
	live_close(&l);
	if (err) {
		pr_warn("cannot read the observer: %s\n", strerror(-err));
		return EXIT_FAIL;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	entries = s.nflows;
	for (i = j = 0; i < s.nflows; i++)
		if (keep_flow(&s.flows[i], &a.vo))
			s.flows[j++] = s.flows[i];
	s.nflows = j;
	sort_flows(s.flows, s.nflows, a.vo.sort == SORT_FLOWS ? SORT_PACKETS : a.vo.sort);
	if (a.json)
		printf("{\"flows\":[");
	else
		printf("%-5s %-47s %-47s %10s %12s %8s %8s %s\n", "PROTO", "SOURCE", "DESTINATION",
		       "PACKETS", "BYTES", "AGE", "IDLE", "FLAGS");
	for (i = 0; i < s.nflows && (!a.top || shown < a.top); i++, shown++) {
		const struct flow_row *r = &s.flows[i];
		double age = r->st.first_ns < now ? (now - r->st.first_ns) / 1e9 : 0;
		double idle = r->st.last_ns < now ? (now - r->st.last_ns) / 1e9 : 0;

		if (a.json) {
			printf("%s{\"proto\":\"%s\",\"src\":\"%s\",\"sport\":%u,\"dst\":\"%s\",\"dport\":%u,"
			       "\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"age_s\":%.3f,\"idle_s\":%.3f,"
			       "\"tcp_flags\":\"%s\"}",
			       i ? "," : "", proto_name(r->key.proto),
			       fmt_addr(r->key.saddr, r->key.family, src, sizeof(src)), r->key.sport,
			       fmt_addr(r->key.daddr, r->key.family, dst, sizeof(dst)), r->key.dport,
			       (uint64_t)r->st.packets, (uint64_t)r->st.bytes, age, idle,
			       fmt_tcp_flags(r->st.tcp_flags, fl));
		} else {
			printf("%-5s %-47s %-47s %10" PRIu64 " %12" PRIu64 " %7.1fs %7.1fs %s\n",
			       proto_name(r->key.proto),
			       fmt_endpoint(r->key.saddr, r->key.family, r->key.sport, src, sizeof(src)),
			       fmt_endpoint(r->key.daddr, r->key.family, r->key.dport, dst, sizeof(dst)),
			       (uint64_t)r->st.packets, (uint64_t)r->st.bytes, age, idle,
			       r->key.proto == IPPROTO_TCP ? fmt_tcp_flags(r->st.tcp_flags, fl) : "-");
		}
	}
	if (a.json)
		printf("],\"shown\":%zu,\"matching\":%zu,\"entries\":%zu,\"capacity\":%u}\n", shown,
		       s.nflows, entries, s.flow_capacity);
	else if (shown < s.nflows)
		printf("(%zu more; --top 0 shows all)\n", s.nflows - shown);
	snapshot_free(&s);
	return EXIT_OK;
}
