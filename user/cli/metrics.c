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
#include "lib/parse_arg.h"
#include "lib/signals.h"
#include "observe/live.h"
#include "view/prom.h"

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
	if (status == MHD_HTTP_OK && prom_expose(f, &l->fds))
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
static int write_textfile(const char *path, const struct live *l)
{
	char tmp[PATH_MAX];
	FILE *f;
	int err;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	err = prom_expose(f, &l->fds);
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
};

static const struct metrics_cfg defaults = { .interval = 15 };

static struct MHD_Daemon *serve_http(const char *listen, const struct sockaddr_storage *ss,
				     struct live *l)
{
	struct MHD_Daemon *d;

	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
				     (ss->ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
			     0, NULL, NULL, on_request, l, MHD_OPTION_SOCK_ADDR, ss,
			     MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (!d)
		pr_warn("cannot serve on %s: %s\n", listen, strerror(errno));
	else
		pr_info("serving http://%s/metrics\n", listen);
	return d;
}

/* Until a signal: the HTTP server answers; the textfile is rewritten. */
static int serve_loop(const struct metrics_cfg *m, struct live *l)
{
	int err = 0;

	while (!ps_stop) {
		if (m->textfile) {
			err = write_textfile(m->textfile, l);
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

static int run_metrics(void *cfg, const struct common *c)
{
	struct metrics_cfg *m = cfg;
	struct sockaddr_storage ss;
	struct MHD_Daemon *d = NULL;
	struct live l;
	int ret;

	(void)c;
	if (m->listen && parse_listen(m->listen, &ss, m->listen_public))
		return EXIT_USAGE;
	if (m->textfile && textfile_bad(m->textfile))
		return EXIT_USAGE;
	if (require_caps(NEED_BPF | NEED_NET_ADMIN))
		return EXIT_USAGE;
	ret = live_open(&l, &m->req);
	if (ret)
		return ret;
	stop_on_signals();
	if (!m->listen && !m->textfile) {
		ret = prom_expose(stdout, &l.fds) ? EXIT_FAIL : EXIT_OK;
		if (ret)
			pr_warn("cannot read the observer\n");
	} else if (m->listen && !(d = serve_http(m->listen, &ss, &l))) {
		ret = EXIT_FAIL;
	} else {
		ret = serve_loop(m, &l);
	}
	if (d)
		MHD_stop_daemon(d);
	live_close(&l);
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
		 "exposition is printed once.",
	.examples = "sudo portscope metrics --listen 127.0.0.1:9435\n"
		    "sudo portscope metrics --textfile /var/lib/node_exporter/portscope.prom",
	.opts = metrics_opts,
	.cfg_size = sizeof(struct metrics_cfg),
	.defaults = &defaults,
	.run = run_metrics,
};
