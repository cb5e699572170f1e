// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * portscope metrics: the Prometheus exposition (view/prom.c) on stdout,
 * over HTTP (libmicrohttpd, /metrics) or into a textfile for
 * node_exporter's textfile collector (written atomically).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <pthread.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli/commands.h"
#include "lib/caps.h"
#include "lib/log.h"
#include "lib/netns.h"
#include "lib/parse_arg.h"
#include "lib/signals.h"
#include "observe/live.h"
#include "sockets/ephemeral.h"
#include "trace/tracer.h"
#include "view/ephview.h"
#include "view/prom.h"
#include "view/prom_client.h"

/* What the exposition is made of: the observer (optional when only the
 * client side is asked for), the conflicts tracer, the ephemeral view. */
struct exposer {
	struct live *l;		/* NULL: no observer */
	struct tracer *t;	/* NULL: no --conflicts */
	struct eph_clock *ec;	/* NULL: no --ephemeral */
	__u32 eph_top;
	int all_netns;		/* listeners of every network namespace */
	pthread_mutex_t lock;	/* the HTTP thread and the textfile loop */
};

static int expose_conflicts(FILE *f, struct tracer *t)
{
	struct conflict_count *c = NULL;
	__u64 reasons[PS_C_MAX];
	struct eph_sysctl *sc = malloc(sizeof(*sc));
	size_t n;
	int err = sc ? eph_sysctl_read(sc) : -ENOMEM;

	if (!err)
		err = tracer_counts(t, &c, &n);
	if (!err)
		err = tracer_reasons(t, reasons);
	if (!err)
		prom_conflicts(f, c, n, reasons, sc->lo, sc->hi);
	free(c);
	free(sc);
	return err;
}

static int expose_ephemeral(FILE *f, struct exposer *x)
{
	struct eph_view v;
	int err = ephview_next(x->ec, &v);

	if (err)
		return err;
	ephview_sort(&v, EPH_SORT_USED);
	prom_ephemeral(f, &v, x->eph_top);
	ephview_done(x->ec, &v);
	return 0;
}

/* The whole exposition: 0 or -errno. */
static int expose(FILE *f, struct exposer *x)
{
	int err = 0;

	pthread_mutex_lock(&x->lock);
	if (x->l)
		err = prom_expose(f, &x->l->fds, x->all_netns);
	if (!err && x->t)
		err = expose_conflicts(f, x->t);
	if (!err && x->ec)
		err = expose_ephemeral(f, x);
	pthread_mutex_unlock(&x->lock);
	return err;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *size, void **state)
{
	struct exposer *x = cls;
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
	if (status == MHD_HTTP_OK && expose(f, x))
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
static int parse_listen(const char *s, struct sockaddr_storage *ss, int public_ok)
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

/* Write PATH.tmp, then rename over PATH: readers never see half a file. */
static int write_textfile(const char *path, struct exposer *x)
{
	char tmp[PATH_MAX];
	FILE *f;
	int err;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	err = expose(f, x);
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

struct metrics_cfg {
	struct attach_req req;
	const char *listen;
	int listen_public;
	const char *textfile;
	double interval;
	int once;
	int ephemeral;		/* ephemeral use series */
	__u32 eph_top;		/* for the top N destinations */
	int conflicts;		/* load the conflicts tracer */
	struct netns_sel ns;
	int all_netns;
};

static const struct metrics_cfg defaults = { .interval = 15, .eph_top = 10 };

/* The listening socket, made before --netns is entered: the endpoint is
 * the caller's namespace's (a socket stays in the namespace it was made in),
 * the exposition the namespace the command works in. -1 after one line. */
static int listen_socket(const char *where, const struct sockaddr_storage *ss)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1;
	socklen_t len = ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);

	if (fd >= 0 && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ||
			(ss->ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on))) ||
			bind(fd, (const struct sockaddr *)ss, len) || listen(fd, 64))) {
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		pr_warn("cannot serve on %s: %s\n", where, strerror(errno));
	return fd;
}

static struct MHD_Daemon *serve_http(const char *listen, int fd, struct exposer *x)
{
	struct MHD_Daemon *d;

	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, x,
			     MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (!d)
		pr_warn("cannot serve on %s: %s\n", listen, strerror(errno));
	else
		pr_info("serving http://%s/metrics\n", listen);
	return d;
}

/* Until a signal: the HTTP server answers; the textfile is rewritten. */
static int serve_loop(const struct metrics_cfg *m, struct exposer *x)
{
	int err = 0;

	while (!ps_stop) {
		if (m->textfile) {
			err = write_textfile(m->textfile, x);
			if (err) {
				pr_warn("cannot write %s: %s\n", m->textfile, strerror(-err));
				return EXIT_FAIL;
			}
			if (m->once)
				break;
		}
		sleep_unless_stopped(m->interval);
	}
	return EXIT_OK;
}

struct sources {
	struct live l;
	struct tracer t;
	struct eph_clock ec;
	struct exposer x;
};

/* The observer (asked for with -i, pinned, or the only thing asked), the
 * tracer, the ephemeral clock: an exit status. */
static int open_sources(struct metrics_cfg *m, struct sources *s)
{
	struct eph_filter all = {};
	int ret;

	pthread_mutex_init(&s->x.lock, NULL);
	s->x.eph_top = m->eph_top;
	s->x.all_netns = m->all_netns;
	if (m->req.ifaces.n || !(m->ephemeral || m->conflicts) || live_pinned_prog_id(NULL)) {
		ret = live_open(&s->l, &m->req);
		if (ret)
			return ret;
		s->x.l = &s->l;
	} else {
		pr_info("no observer attached: client-side series only\n");
	}
	if (m->conflicts) {
		if (tracer_open(&s->t, netns_self(), NULL, NULL))
			return EXIT_FAIL;
		s->x.t = &s->t;
	}
	if (m->ephemeral) {
		ret = ephview_start(&s->ec, &all);
		if (ret) {
			pr_warn("cannot read the socket table: %s\n", strerror(-ret));
			return EXIT_FAIL;
		}
		s->x.ec = &s->ec;
	}
	return EXIT_OK;
}

static void close_sources(struct sources *s)
{
	if (s->x.ec)
		ephview_stop(&s->ec);
	if (s->x.t)
		tracer_close(&s->t);
	if (s->x.l)
		live_close(&s->l);
	pthread_mutex_destroy(&s->x.lock);
}

static int run_metrics(void *cfg, const struct common *c)
{
	struct metrics_cfg *m = cfg;
	struct sockaddr_storage ss;
	struct MHD_Daemon *d = NULL;
	struct sources s = {};
	int ret, lfd = -1;

	(void)c;
	if (m->listen && parse_listen(m->listen, &ss, m->listen_public))
		return EXIT_USAGE;
	if (m->textfile && textfile_bad(m->textfile))
		return EXIT_USAGE;
	if (netns_check(&m->ns, m->all_netns, NETNS_VISITS | NETNS_FROM) ||
	    require_caps(m->req.ifaces.n || !(m->ephemeral || m->conflicts) ? NEED_BPF | NEED_NET_ADMIN : 0) ||
	    (m->conflicts && tracer_require_caps()))
		return EXIT_USAGE;
	if (m->listen && (lfd = listen_socket(m->listen, &ss)) < 0)
		return EXIT_FAIL;
	ret = netns_enter(&m->ns) ? EXIT_USAGE : open_sources(m, &s);
	if (!ret) {
		stop_on_signals();
		if (!m->listen && !m->textfile) {
			ret = expose(stdout, &s.x) ? EXIT_FAIL : EXIT_OK;
			if (ret)
				pr_warn("cannot read the observer or the socket table\n");
		} else if (m->listen && !(d = serve_http(m->listen, lfd, &s.x))) {
			ret = EXIT_FAIL;
		} else if (m->listen) {
			lfd = -1;	/* the daemon's: MHD_stop_daemon closes it */
			ret = serve_loop(m, &s.x);
		} else {
			ret = serve_loop(m, &s.x);
		}
	}
	if (d)
		MHD_stop_daemon(d);
	if (lfd >= 0)
		close(lfd);
	close_sources(&s);
	return ret;
}

static const struct opt metrics_opts[] = {
	{ "iface", 'i', OPT_STRS, OPTF(metrics_cfg, req.ifaces), "IFACE",
	  "attach for the command's life (else the pinned observer)", .values = "@iface",
	  .max_count = PS_MAX_IFACES },
	{ "mode", 'm', OPT_FUNC, OPTF(metrics_cfg, req.mode), "MODE", "force native or skb",
	  .parse = parse_mode, .values = "native skb" },
	{ "listen", 'l', OPT_STR, OPTF(metrics_cfg, listen), "ADDR:PORT",
	  "serve /metrics over HTTP (loopback only unless --listen-public)" },
	{ "listen-public", 'L', OPT_FLAG, OPTF(metrics_cfg, listen_public), NULL,
	  "allow --listen on a non-loopback address" },
	{ "textfile", 't', OPT_STR, OPTF(metrics_cfg, textfile), "PATH",
	  "write PATH every --interval for node_exporter", .values = "@file" },
	{ "interval", 'd', OPT_SECONDS, OPTF(metrics_cfg, interval), "S",
	  "textfile period (default 15; 0.1..86400)", .min = 0.1, .max = 86400 },
	{ "once", 'o', OPT_FLAG, OPTF(metrics_cfg, once), NULL, "write the textfile once and exit" },
	{ "ephemeral", 0, OPT_FLAG, OPTF(metrics_cfg, ephemeral), NULL,
	  "also source-port use per destination (see 'portscope ephemeral')" },
	{ "ephemeral-top", 0, OPT_U32, OPTF(metrics_cfg, eph_top), "N",
	  "series for the N most used destinations (default 10;\n0..1000)", .max = 1000 },
	{ "conflicts", 0, OPT_FLAG, OPTF(metrics_cfg, conflicts), NULL,
	  "also failing bind/listen/connect by call, errno, protocol and\n"
	  "port (the conflicts tracer, for the command's life; CAP_PERFMON)" },
	OPT_NETNS_ROW(metrics_cfg, ns),
	OPT_ALL_NETNS_ROW(metrics_cfg, all_netns, "listeners of every network namespace: port series\n"
			  "by the namespace their traffic went to (netns and\n"
			  "container labels), as 'top --all-netns'"),
	{ NULL },
};

const struct cmd cmd_metrics = {
	.name = "metrics",
	.summary = "Prometheus metrics: stdout, --listen ADDR:PORT, --textfile",
	.about = "Prometheus metrics of the observer (per protocol and port: packets, bytes,\n"
		 "new connections, SYN-ACKs, FINs, RSTs, flows, clients, established; frames\n"
		 "by class; the flow table) and of portscope's steering (per member: selected,\n"
		 "migrated, active; fallbacks by reason). Ephemeral client ports are one\n"
		 "port=\"ephemeral\" series per protocol. Without --listen or --textfile the\n"
		 "exposition is printed once.\n"
		 "\n"
		 "The client side, bounded for alerting: --conflicts adds\n"
		 "portscope_conflicts_total by call, errno, protocol and port asked (ports in\n"
		 "ip_local_port_range folded into port=\"ephemeral\") and the tracer's counters\n"
		 "by reason; --ephemeral adds portscope_ephemeral_max_used_ratio (the highest\n"
		 "share of source ports used toward any destination, bind()-held ports\n"
		 "counted for all: at 1 connect() fails) and per-destination series for the\n"
		 "--ephemeral-top most used. With either and no observer attached or pinned,\n"
		 "only these are served. docs/alerts/portscope.rules.yml has alerts on them.",
	.examples = "sudo portscope metrics --listen 127.0.0.1:9435\n"
		    "sudo portscope metrics --ephemeral --conflicts --listen 127.0.0.1:9436\n"
		    "sudo portscope metrics --textfile /var/lib/node_exporter/portscope.prom",
	.opts = metrics_opts,
	.cfg_size = sizeof(struct metrics_cfg),
	.defaults = &defaults,
	.run = run_metrics,
};
