// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include "lib/fmt.h"
#include "trace/conflict.h"
#include "view/prom_client.h"

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One series per (call, errno, proto, port label): families and folded
 * ports summed. */
struct row {
	__u8 op, err, proto;
	int port;		/* -1: ephemeral */
	__u64 n;
};

static size_t fold(const struct conflict_count *c, size_t n, __u16 lo, __u16 hi, struct row *r)
{
	size_t i, k, nr = 0;
	int port;

	for (i = 0; i < n; i++) {
		port = c[i].key.port >= lo && c[i].key.port <= hi ? -1 : c[i].key.port;
		for (k = 0; k < nr; k++)
			if (r[k].op == c[i].key.op && r[k].err == c[i].key.err &&
			    r[k].proto == c[i].key.proto && r[k].port == port)
				break;
		if (k == nr)
			r[nr++] = (struct row){ c[i].key.op, c[i].key.err, c[i].key.proto, port, 0 };
		r[k].n += c[i].n;
	}
	return nr;
}

void prom_conflicts(FILE *f, const struct conflict_count *c, size_t n, const __u64 reasons[PS_C_MAX],
		    __u16 lo, __u16 hi)
{
	struct row *r = calloc(n ? n : 1, sizeof(*r));
	char port[8];
	size_t i, nr;
	int k;

	family(f, "portscope_conflicts_total", "counter",
	       "Failing bind(), listen() and connect() calls with a port errno, by call, errno, protocol "
	       "and port asked (ports in ip_local_port_range as port=\"ephemeral\").");
	nr = r ? fold(c, n, lo, hi, r) : 0;
	for (i = 0; i < nr; i++) {
		snprintf(port, sizeof(port), "%d", r[i].port);
		fprintf(f, "portscope_conflicts_total{call=\"%s\",errno=\"%s\",proto=\"%s\",port=\"%s\"} %" PRIu64 "\n",
			op_name(r[i].op), errno_name(r[i].err), proto_name(r[i].proto),
			r[i].port < 0 ? "ephemeral" : port, (uint64_t)r[i].n);
	}
	free(r);
	family(f, "portscope_conflict_tracer_total", "counter",
	       "What the conflicts tracer did with each failing call it saw, by reason (drops included).");
	for (k = 0; k < PS_C_MAX; k++)
		fprintf(f, "portscope_conflict_tracer_total{reason=\"%s\"} %" PRIu64 "\n",
			conflict_reason_name(k), (uint64_t)reasons[k]);
}

static void dest_labels(const struct eph_dest *d, char *buf, size_t len)
{
	char l[64], r[64];

	snprintf(buf, len, "proto=\"%s\",local=\"%s\",remote=\"%s\",port=\"%u\"", proto_name(d->proto),
		 fmt_addr(d->laddr, d->family, l, sizeof(l)), fmt_addr(d->raddr, d->family, r, sizeof(r)),
		 d->rport);
}

static void dest_series(FILE *f, const struct eph_view *v, size_t top)
{
	static const int states[] = { 2, 1, 4, 5, 8, 9, 11, 6 };
	char lbl[256];
	size_t i, k;

	family(f, "portscope_ephemeral_used_ratio", "gauge",
	       "Share of the usable source ports connect() can no longer use toward a destination.");
	family(f, "portscope_ephemeral_ports_in_use", "gauge", "Distinct local ports in use toward a destination.");
	family(f, "portscope_ephemeral_ports_free", "gauge", "Source ports connect() could still use toward it.");
	family(f, "portscope_ephemeral_sockets", "gauge", "Sockets toward a destination, by state.");
	for (i = 0; i < v->n && i < top; i++) {
		const struct eph_dest *d = &v->d[i];

		dest_labels(d, lbl, sizeof(lbl));
		fprintf(f, "portscope_ephemeral_used_ratio{%s} %.4f\n", lbl, d->used);
		fprintf(f, "portscope_ephemeral_ports_in_use{%s} %u\n", lbl, d->ports);
		fprintf(f, "portscope_ephemeral_ports_free{%s} %u\n", lbl, d->free);
		for (k = 0; k < sizeof(states) / sizeof(states[0]); k++)
			if (d->proto == IPPROTO_TCP || states[k] == 1)
				fprintf(f, "portscope_ephemeral_sockets{%s,state=\"%s\"} %u\n", lbl,
					d->proto == IPPROTO_TCP ? tcp_state_name(states[k]) : "CONNECTED",
					d->state[states[k]]);
	}
}

void prom_ephemeral(FILE *f, const struct eph_view *v, size_t top)
{
	family(f, "portscope_ephemeral_max_used_ratio", "gauge",
	       "The highest used ratio of any destination, ports held by bind() counted for all: "
	       "at 1, connect() fails with EADDRNOTAVAIL.");
	fprintf(f, "portscope_ephemeral_max_used_ratio %.4f\n", v->max_used);
	family(f, "portscope_ephemeral_ports_usable", "gauge",
	       "Ports in ip_local_port_range minus ip_local_reserved_ports.");
	fprintf(f, "portscope_ephemeral_ports_usable %u\n", v->usable);
	family(f, "portscope_ephemeral_ports_held_by_bind", "gauge",
	       "Usable ports bound by bind() (TCP: closed to every connect()) or by UDP sockets.");
	fprintf(f, "portscope_ephemeral_ports_held_by_bind{proto=\"tcp\"} %u\n", v->held_tcp);
	fprintf(f, "portscope_ephemeral_ports_held_by_bind{proto=\"udp\"} %u\n", v->held_udp);
	family(f, "portscope_ephemeral_destinations", "gauge", "Destinations with sockets from this host.");
	fprintf(f, "portscope_ephemeral_destinations %zu\n", v->n);
	dest_series(f, v, top);
}
