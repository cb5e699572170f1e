// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * portscope metrics: the Prometheus text exposition (format 0.0.4) of the
 * observer's per-port and reason counters and of portscope's steering, on
 * stdout, over HTTP (libmicrohttpd, /metrics) or into a textfile for
 * node_exporter's textfile collector (written atomically).
 *
 * Ports in ip_local_port_range that nobody listens on are exported as one
 * port="ephemeral" series per protocol: a series per client port would be
 * unbounded cardinality.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "attach.h"
#include "caps.h"
#include "log.h"
#include "model.h"
#include "parse_arg.h"
#include "portview.h"
#include "steer.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *port_label(const struct port_row_view *r, char *buf, size_t len)
{
	if (r->folded)
		return "ephemeral";
	snprintf(buf, len, "%u", r->port);
	return buf;
}

static void port_series(FILE *f, const struct port_view *v)
{
	static const struct {
		const char *name, *type, *help;
		size_t off;	/* into struct ps_port_stats, or SIZE_MAX for the view's */
	} fam[] = {
		{ "portscope_port_packets_total", "counter", "Packets received, per destination protocol and port.",
		  offsetof(struct ps_port_stats, packets) },
		{ "portscope_port_bytes_total", "counter", "Bytes received (whole frames).",
		  offsetof(struct ps_port_stats, bytes) },
		{ "portscope_port_new_connections_total", "counter", "TCP SYNs without ACK.",
		  offsetof(struct ps_port_stats, syn) },
		{ "portscope_port_synacks_total", "counter", "TCP SYN-ACKs.",
		  offsetof(struct ps_port_stats, synack) },
		{ "portscope_port_fins_total", "counter", "TCP segments with FIN.",
		  offsetof(struct ps_port_stats, fin) },
		{ "portscope_port_rsts_total", "counter", "TCP segments with RST.",
		  offsetof(struct ps_port_stats, rst) },
	};
	char pb[8];
	size_t i, k;

	for (k = 0; k < sizeof(fam) / sizeof(fam[0]); k++) {
		family(f, fam[k].name, fam[k].type, fam[k].help);
		for (i = 0; i < v->n; i++) {
			const struct port_row_view *r = &v->rows[i];

			if (r->proto != IPPROTO_TCP && k >= 2)
				continue;
			fprintf(f, "%s{proto=\"%s\",port=\"%s\"} %" PRIu64 "\n", fam[k].name,
				proto_name(r->proto), port_label(r, pb, sizeof(pb)),
				(uint64_t)*(const __u64 *)((const char *)&r->total + fam[k].off));
		}
	}
	family(f, "portscope_port_flows", "gauge", "5-tuple flows in the flow table, per destination port.");
	for (i = 0; i < v->n; i++)
		fprintf(f, "portscope_port_flows{proto=\"%s\",port=\"%s\"} %u\n",
			proto_name(v->rows[i].proto), port_label(&v->rows[i], pb, sizeof(pb)), v->rows[i].flows);
	family(f, "portscope_port_clients", "gauge", "Distinct client addresses in the flow table.");
	for (i = 0; i < v->n; i++)
		fprintf(f, "portscope_port_clients{proto=\"%s\",port=\"%s\"} %u\n",
			proto_name(v->rows[i].proto), port_label(&v->rows[i], pb, sizeof(pb)), v->rows[i].clients);
	family(f, "portscope_port_established", "gauge", "TCP sockets ESTABLISHED on this local port.");
	for (i = 0; i < v->n; i++)
		if (v->rows[i].proto == IPPROTO_TCP && !v->rows[i].folded)
			fprintf(f, "portscope_port_established{proto=\"tcp\",port=\"%u\"} %u\n",
				v->rows[i].port, v->rows[i].established);
}

static void reason_series(FILE *f, const struct snapshot *s)
{
	int r;

	family(f, "portscope_packets_total", "counter",
	       "Frames seen by the observer, by class (the classes sum to every frame).");
	for (r = 0; r <= PS_R_CLASS_LAST; r++)
		if (r != PS_R_RUNT)
			fprintf(f, "portscope_packets_total{class=\"%s\"} %" PRIu64 "\n", reason_name(r),
				(uint64_t)s->reasons[r]);
	family(f, "portscope_events_total", "counter", "Events counted besides a frame's class.");
	for (r = PS_R_CLASS_LAST + 1; r < PS_R_MAX; r++)
		fprintf(f, "portscope_events_total{event=\"%s\"} %" PRIu64 "\n", reason_name(r),
			(uint64_t)s->reasons[r]);
	family(f, "portscope_flow_table_entries", "gauge", "Entries in the flow table.");
	fprintf(f, "portscope_flow_table_entries %zu\n", s->nflows);
	family(f, "portscope_flow_table_capacity", "gauge", "Size of the flow table (LRU).");
	fprintf(f, "portscope_flow_table_capacity %u\n", s->flow_capacity);
	family(f, "portscope_flow_table_evicted_total", "counter", "Flows evicted by the LRU (inserts - entries).");
	fprintf(f, "portscope_flow_table_evicted_total %" PRIu64 "\n", (uint64_t)flows_evicted(s));
}

static void steer_series(FILE *f, const struct port_view *v)
{
	struct steer_view sv;
	char a[INET6_ADDRSTRLEN];
	size_t g, m;
	int r, head = 0;

	for (g = 0; g < v->gs.n; g++) {
		const struct group *gr = &v->gs.g[g];

		steer_view_of(gr, &sv);
		if (!sv.steered)
			continue;
		if (!head++) {
			family(f, "portscope_steer_selected_total", "counter",
			       "New connections or datagrams steered to a member socket.");
			family(f, "portscope_steer_migrated_total", "counter",
			       "Connections moved to a member off a closing listener.");
			family(f, "portscope_steer_active", "gauge", "Established connections placed on a member.");
			family(f, "portscope_steer_fallbacks_total", "counter",
			       "Selections left to the kernel's hash, by reason.");
		}
		inet_ntop(gr->family, gr->addr, a, sizeof(a));
		for (m = 0; m < sv.n; m++) {
			const struct steer_member *sm = &sv.m[m];
			char lbl[256];

			snprintf(lbl, sizeof(lbl),
				 "proto=\"%s\",addr=\"%s\",port=\"%u\",policy=\"%s\",cookie=\"%" PRIu64 "\",pid=\"%u\"",
				 proto_name(gr->proto), a, gr->port, policy_name(sv.policy),
				 (uint64_t)sm->info.cookie, sm->info.pid);
			fprintf(f, "portscope_steer_selected_total{%s} %" PRIu64 "\n", lbl, (uint64_t)sm->st.selected);
			fprintf(f, "portscope_steer_migrated_total{%s} %" PRIu64 "\n", lbl, (uint64_t)sm->st.migrated_in);
			fprintf(f, "portscope_steer_active{%s} %" PRId64 "\n", lbl, (int64_t)sm->active);
		}
		for (r = PS_S_NO_MEMBER; r < PS_S_MAX; r++)
			fprintf(f, "portscope_steer_fallbacks_total{proto=\"%s\",addr=\"%s\",port=\"%u\",reason=\"%s\"} %" PRIu64 "\n",
				proto_name(gr->proto), a, gr->port, steer_reason_name(r), (uint64_t)sv.reasons[r]);
	}
}

/* The whole exposition, from one reading. */
static int expose(FILE *f, const struct live *l)
{
	struct view_opts vo = { .sort = SORT_PORT };
	struct snapshot s;
	struct port_view v;
	int err = snapshot_read(&l->fds, &s);

	if (err)
		return err;
	err = view_build(&v, &s, NULL, 0, &vo);
	if (err) {
		snapshot_free(&s);
		return err;
	}
	port_series(f, &v);
	reason_series(f, &v.snap);
	steer_series(f, &v);
	view_free(&v);
	return 0;
}

/* ---- HTTP ------------------------------------------------------------------------- */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *size, void **state)
{
	const struct live *l = cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *buf = NULL;
	size_t len = 0;
	unsigned status = MHD_HTTP_OK;
	FILE *f;

	(void)version, (void)data, (void)size, (void)state;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
	else if (strcmp(url, "/metrics"))
		status = MHD_HTTP_NOT_FOUND;
	f = open_memstream(&buf, &len);
	if (!f)
		return MHD_NO;
	if (status == MHD_HTTP_OK && expose(f, l))
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	if (status != MHD_HTTP_OK)
		fprintf(f, "%u\n", status);
	fclose(f);
	resp = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* "127.0.0.1:9435", "[::1]:9435", ":9435" (loopback) */
int parse_listen(const char *s, struct sockaddr_storage *ss, int public_ok)
{
	struct sockaddr_in *a4 = (void *)ss;
	struct sockaddr_in6 *a6 = (void *)ss;
	char host[INET6_ADDRSTRLEN + 2] = "127.0.0.1";
	const char *colon = strrchr(s, ':');
	uint16_t port;
	int loopback;

	memset(ss, 0, sizeof(*ss));
	if (!colon || (size_t)(colon - s) >= sizeof(host) || parse_port(colon + 1, &port)) {
		if (!colon)
			pr_warn("invalid --listen '%s': use ADDR:PORT\n", s);
		return -EINVAL;
	}
	if (colon > s) {
		if (s[0] == '[' && colon[-1] == ']')
			snprintf(host, sizeof(host), "%.*s", (int)(colon - s - 2), s + 1);
		else
			snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
	}
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		loopback = (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
	} else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		loopback = IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
	} else {
		pr_warn("invalid --listen '%s': not an address\n", s);
		return -EINVAL;
	}
	if (!loopback && !public_ok) {
		pr_warn("--listen %s is not a loopback address: the metrics name every port in use; "
			"add --listen-public to serve them there\n", host);
		return -EPERM;
	}
	return 0;
}

/* Write PATH.tmp, then rename over PATH: readers never see half a file. */
/* The textfile is written as PATH.tmp then renamed: its directory must be
 * writable, and PATH not a directory. Checked before anything is loaded. */
static int textfile_bad(const char *path)
{
	char dir[PATH_MAX];
	struct stat st;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = 0;
	else
		*slash = 0;
	if (access(dir, W_OK)) {
		pr_warn("--textfile %s: directory %s: %s\n", path, dir, strerror(errno));
		return 1;
	}
	if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
		pr_warn("--textfile %s: is a directory\n", path);
		return 1;
	}
	return 0;
}

static int write_textfile(const char *path, const struct live *l)
{
	char tmp[PATH_MAX];
	FILE *f;
	int err;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	err = expose(f, l);
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

static void usage(FILE *f)
{
	fputs("Usage: portscope metrics [-i IFACE]... [--mode native|skb]\n"
	      "                         [--listen ADDR:PORT [--listen-public]]\n"
	      "                         [--textfile PATH [--interval S] [--once]]\n"
	      "\n"
	      "Prometheus metrics of the observer (per protocol and port: packets, bytes,\n"
	      "new connections, SYN-ACKs, FINs, RSTs, flows, clients, established; frames\n"
	      "by class; the flow table) and of portscope's steering (per member: selected,\n"
	      "migrated, active; fallbacks by reason). Ephemeral client ports are one\n"
	      "port=\"ephemeral\" series per protocol.\n"
	      "\n"
	      "Without --listen or --textfile the exposition is printed once.\n"
	      "\n"
	      "Options:\n"
	      "  -i, --iface IFACE     attach for the command's life (else the pinned observer)\n"
	      "  -m, --mode MODE       force native or skb\n"
	      "  -l, --listen ADDR:PORT  serve /metrics over HTTP (loopback only unless\n"
	      "                        --listen-public)\n"
	      "  -t, --textfile PATH   write PATH every --interval for node_exporter\n"
	      "  -d, --interval S      textfile period (default 15)\n"
	      "  -o, --once            write the textfile once and exit\n"
	      "\n"
	      "Examples:\n"
	      "  sudo portscope metrics --listen 127.0.0.1:9435\n"
	      "  sudo portscope metrics --textfile /var/lib/node_exporter/portscope.prom\n",
	      f);
}

int cmd_metrics(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "iface", required_argument, NULL, 'i' },  { "mode", required_argument, NULL, 'm' },
		{ "listen", required_argument, NULL, 'l' }, { "listen-public", no_argument, NULL, 'L' },
		{ "textfile", required_argument, NULL, 't' }, { "interval", required_argument, NULL, 'd' },
		{ "once", no_argument, NULL, 'o' },	    { "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },	    {},
	};
	unsigned char seen[256] = {};
	const char *listen = NULL, *textfile = NULL;
	struct attach_req req = {};
	struct sockaddr_storage ss;
	struct MHD_Daemon *d = NULL;
	double interval = 15;
	int c, once = 0, public_ok = 0, verbose = 0, ret, err = 0;
	static uint16_t none[1];
	struct live l;

	opterr = 0;
	while ((c = getopt_once(argc, argv, ":i:m:l:Lt:d:ovh", opts, "i", seen)) != -1) {
		switch (c) {
		case 'l': listen = optarg; break;
		case 'L': public_ok = 1; break;
		case 't': textfile = optarg; break;
		case 'd':
			if (parse_seconds(optarg, "--interval", 0.1, 86400, &interval))
				return EXIT_USAGE;
			break;
		case 'o': once = 1; break;
		case 'v': verbose++; break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			err = parse_attach_opt(c, optarg, &req, none, 0);
			if (err == -ENOENT)
				option_error(c, argv, "metrics");
			if (err)
				return EXIT_USAGE;
		}
	}
	log_init(verbose);
	if (optind < argc) {
		pr_warn("unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (listen && parse_listen(listen, &ss, public_ok))
		return EXIT_USAGE;
	if (textfile && textfile_bad(textfile))
		return EXIT_USAGE;
	if (require_caps(NEED_BPF | NEED_NET_ADMIN))
		return EXIT_USAGE;
	ret = live_open(&l, &req);
	if (ret)
		return ret;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	ret = EXIT_OK;
	if (!listen && !textfile) {
		err = expose(stdout, &l);
		goto out;
	}
	if (listen) {
		d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
					     (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
				     0, NULL, NULL, on_request, &l, MHD_OPTION_SOCK_ADDR, &ss,
				     MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
		if (!d) {
			pr_warn("cannot serve on %s: %s\n", listen, strerror(errno));
			ret = EXIT_FAIL;
			goto out;
		}
		pr_info("serving http://%s/metrics\n", listen);
	}
	while (!stop) {
		if (textfile) {
			err = write_textfile(textfile, &l);
			if (err) {
				pr_warn("cannot write %s: %s\n", textfile, strerror(-err));
				break;
			}
			if (once)
				break;
		}
		struct timespec ts = { .tv_sec = (time_t)interval,
				       .tv_nsec = (long)((interval - (time_t)interval) * 1e9) };
		while (!stop && nanosleep(&ts, &ts) && errno == EINTR)
			;
	}
out:
	if (d)
		MHD_stop_daemon(d);
	live_close(&l);
	if (err) {
		pr_warn("cannot read the observer: %s\n", strerror(-err));
		ret = EXIT_FAIL;
	}
	return ret;
}
