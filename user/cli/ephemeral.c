// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * portscope ephemeral: per destination, the local source ports in use and
 * what the kernel has left for it (sockets/ephemeral.h), every interval.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "cli/commands.h"
#include "lib/log.h"
#include "lib/netns.h"
#include "lib/parse_arg.h"
#include "lib/signals.h"
#include "view/ephview.h"
#include "view/render_eph.h"

struct eph_cfg {
	struct netns_sel ns;
	struct eph_filter f;
	double interval;
	int once;
	__u32 count;
	__u32 top;
	int sort;		/* enum eph_sort */
};

static const struct eph_cfg eph_defaults = { .interval = 1, .top = 20 };

/* --to ADDR[:PORT]: "10.0.0.1", "10.0.0.1:443", "fd00::1", "[fd00::1]:443" */
static int parse_to(const char *s, void *field)
{
	struct eph_filter *f = field;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':'), *end = s + strlen(s);

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || (rb[1] && rb[1] != ':'))
			goto bad;
		colon = rb[1] ? rb + 1 : NULL;
		end = rb;
		s++;
	} else if (colon && strchr(s, ':') != colon) {
		colon = NULL;	/* a bare IPv6 address */
	}
	if (colon && colon < end)
		end = colon;
	if ((size_t)(end - s) >= sizeof(host))
		goto bad;
	snprintf(host, sizeof(host), "%.*s", (int)(end - s), s);
	if (colon && parse_port(colon + 1, &f->rport))
		return -EINVAL;
	memset(f->to, 0, sizeof(f->to));
	if (inet_pton(AF_INET, host, f->to) == 1)
		f->family = 4;
	else if (inet_pton(AF_INET6, host, f->to) == 1)
		f->family = 6;
	else
		goto bad;
	f->to_set = 1;
	return 0;
bad:
	pr_warn("invalid --to '%s': use ADDR, ADDR:PORT or [ADDR6]:PORT\n", s);
	return -EINVAL;
}

static int run_ephemeral(void *cfg, const struct common *c)
{
	struct eph_cfg *a = cfg;
	struct eph_clock clk;
	struct eph_view v;
	__u32 n = 0;
	int err;

	if (a->once)
		a->count = 1;
	if (netns_choose(&a->ns, 0, 0))
		return EXIT_USAGE;
	err = ephview_start(&clk, &a->f);
	if (err) {
		pr_warn("cannot read the socket table: %s\n", strerror(-err));
		return EXIT_FAIL;
	}
	stop_on_signals();
	while (!err && !ps_stop && (!a->count || n < a->count)) {
		sleep_unless_stopped(a->interval);
		if (ps_stop)
			break;
		err = ephview_next(&clk, &v);
		if (err)
			break;
		ephview_sort(&v, a->sort);
		(c->json ? eph_json : eph_text)(stdout, &v, a->top);
		ephview_done(&clk, &v);
		n++;
	}
	ephview_stop(&clk);
	if (err) {
		pr_warn("cannot read the socket table: %s\n", strerror(-err));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

#define EF(f) OPTF(eph_cfg, f)

static const struct opt eph_opts[] = {
	{ "interval", 'd', OPT_SECONDS, EF(interval), "S",
	  "seconds between snapshots (default 1; 0.1..3600)", .min = 0.1, .max = 3600 },
	{ "once", 'o', OPT_FLAG, EF(once), NULL, "one snapshot (after one interval) and exit" },
	{ "count", 'c', OPT_U32, EF(count), "N", "N snapshots and exit", .min = 1, .max = 1000000 },
	{ "to", 0, OPT_FUNC, EF(f), "ADDR[:PORT]",
	  "only this destination; with a port, shown even with no\n"
	  "socket yet (what connect() has left for it)", .parse = parse_to },
	{ "port", 'p', OPT_PORT, EF(f.rport), "P", "only destinations on remote port P" },
	{ "proto", 'P', OPT_PROTO, EF(f.proto), "PROTO", "only tcp or udp", .values = "tcp udp" },
	{ "top", 'n', OPT_U32, EF(top), "N", "at most N destinations (default 20; 0: all)", .max = 1u << 30 },
	{ "sort", 's', OPT_FUNC, EF(sort), "KEY", "used (default), sockets, new or port",
	  .parse = parse_eph_sort, .values = "used sockets new port" },
	OPT_NETNS_ROW(eph_cfg, ns),
	{ NULL },
};

const struct cmd cmd_ephemeral = {
	.name = "ephemeral",
	.summary = "source ports in use per destination, and what connect() has left",
	.about = "The client side of a port: for each destination (local address -> remote\n"
		 "address:port, protocol) the sockets by state (SYN_SENT, ESTABLISHED,\n"
		 "FIN_WAIT1/2, CLOSE_WAIT, TIME_WAIT, LAST_ACK/CLOSING as OTHER), the distinct\n"
		 "local ports in use, the ports connect() could still use toward it — the\n"
		 "ip_local_port_range minus ip_local_reserved_ports, minus ports bind() holds,\n"
		 "minus its own 4-tuples, split even/odd (connect() scans the range's low\n"
		 "parity first, bind(0) the other) — the percent used, new connections/s, the\n"
		 "time to exhaustion at the current growth, and the processes owning the\n"
		 "sockets. The header has the host-wide count of ports held by bind(), which\n"
		 "exhausts the range for every destination at once.\n"
		 "\n"
		 "A source port serves many destinations (the 4-tuple must be unique), so\n"
		 "one destination can have at most the usable ports at once; TIME_WAIT keeps\n"
		 "a port for 60 s after the client closes (net.ipv4.tcp_tw_reuse=1, or 2 on\n"
		 "loopback, lets connect() take it back). UDP shares nothing: a bound UDP\n"
		 "socket holds its port for every destination.\n"
		 "\n"
		 "Sockets from sock_diag, processes from /proc (CAP_SYS_PTRACE for other\n"
		 "users'), the ports held by sockets that bound before connecting from the\n"
		 "kernel's bind buckets (a BPF iterator: CAP_BPF and CAP_PERFMON; without,\n"
		 "only listening and bound-only sockets count as held, and the header says\n"
		 "so). This network namespace, or --netns NS (each has its own range); a\n"
		 "per-socket IP_LOCAL_PORT_RANGE (6.3+) is not seen. The live screen of\n"
		 "'top' shows this view on the key c.",
	.examples = "portscope ephemeral\n"
		    "sudo portscope ephemeral --to 10.1.2.3:443 --once\n"
		    "sudo portscope ephemeral --sort new --json --count 10\n"
		    "sudo portscope ephemeral --netns c1 --once",
	.opts = eph_opts,
	.cfg_size = sizeof(struct eph_cfg),
	.defaults = &eph_defaults,
	.run = run_ephemeral,
	.json = 1,
};
