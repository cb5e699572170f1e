// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <time.h>
#include "lib/fmt.h"
#include "lib/json_writer.h"
#include "view/ephview.h"
#include "view/render_eph.h"

#define FIN_WAIT(d) ((d)->state[4] + (d)->state[5])
#define OTHER(d) ((d)->state[9] + (d)->state[11])	/* LAST_ACK, CLOSING */

const char eph_columns[] = "SOCKS SYN_SENT  ESTAB FIN_WAIT CLOSE_WAIT TIME_WAIT OTHER  PORTS   FREE "
			   "(EVEN/ODD)    USED  NEW/S EXHAUSTED PROCESSES";

void eph_header(const struct eph_view *v, char *buf, size_t len)
{
	snprintf(buf, len,
		 "range %u-%u: %u usable (%u even, %u odd), %u reserved; held by bind(): tcp %u%s, udp %u; "
		 "%zu destinations, max used %.1f%%",
		 v->sc.lo, v->sc.hi, v->usable, v->even, v->odd, v->range - v->usable, v->held_tcp,
		 v->held_exact ? "" : " (listening and bound only)", v->held_udp, v->n, v->max_used * 100);
}

void eph_row(const struct eph_dest *d, char *buf, size_t len)
{
	char eta[16], fr[24], pr[200];

	snprintf(fr, sizeof(fr), "(%u/%u)", d->free_even, d->free_odd);
	eph_processes(d, pr, sizeof(pr));
	snprintf(buf, len, "%5u %8u %6u %8u %10u %9u %5u %6u %6u %-11s %6.1f%% %6.1f %-9s %s",
		 d->sockets, d->state[2], d->state[1], FIN_WAIT(d), d->state[8], d->state[6], OTHER(d),
		 d->ports, d->free, fr, d->used * 100, d->new_ps, eph_eta(d, eta, sizeof(eta)), pr);
}

void eph_text(FILE *f, const struct eph_view *v, size_t top)
{
	char hdr[256], local[64], remote[64], row[400];
	time_t t = time(NULL);
	struct tm tm;
	size_t i;

	localtime_r(&t, &tm);
	strftime(local, sizeof(local), "%H:%M:%S", &tm);
	eph_header(v, hdr, sizeof(hdr));
	fprintf(f, "portscope ephemeral  %s  %s\n", local, hdr);
	fprintf(f, "%-5s %-39s %-47s %s\n", "PROTO", "LOCAL", "REMOTE", eph_columns);
	for (i = 0; i < v->n && (!top || i < top); i++) {
		const struct eph_dest *d = &v->d[i];
		int any = !d->laddr[0] && !d->laddr[1] && !d->laddr[2] && !d->laddr[3];

		eph_row(d, row, sizeof(row));
		fprintf(f, "%-5s %-39s %-47s %s\n", proto_name(d->proto),
			any ? "*" : fmt_addr(d->laddr, d->family, local, sizeof(local)),
			fmt_endpoint(d->raddr, d->family, d->rport, remote, sizeof(remote)), row);
	}
	if (i < v->n)
		fprintf(f, "(%zu more destinations; --top 0 shows all)\n", v->n - i);
	fprintf(f, "\n");
	fflush(f);
}

static void states_json(json_writer_t *w, const struct eph_dest *d)
{
	int s;

	jsonw_name(w, "states");
	jsonw_start_object(w);
	for (s = 1; s < EPH_STATES; s++)
		if (d->state[s])
			jsonw_uint_field(w, d->proto == 17 ? "CONNECTED" : tcp_state_name(s), d->state[s]);
	jsonw_end_object(w);
}

static void dest_json(json_writer_t *w, const struct eph_dest *d)
{
	char a[64];
	__u32 i;

	jsonw_start_object(w);
	jsonw_string_field(w, "proto", proto_name(d->proto));
	jsonw_uint_field(w, "family", d->family);
	jsonw_string_field(w, "local", fmt_addr(d->laddr, d->family, a, sizeof(a)));
	jsonw_string_field(w, "remote", fmt_addr(d->raddr, d->family, a, sizeof(a)));
	jsonw_uint_field(w, "port", d->rport);
	jsonw_uint_field(w, "sockets", d->sockets);
	states_json(w, d);
	jsonw_uint_field(w, "ports", d->ports);
	jsonw_uint_field(w, "free", d->free);
	jsonw_uint_field(w, "free_even", d->free_even);
	jsonw_uint_field(w, "free_odd", d->free_odd);
	jsonw_float_field(w, "used_ratio", "%.4f", d->used);
	jsonw_float_field(w, "new_per_s", "%.2f", d->new_ps);
	jsonw_float_field(w, "growth_per_s", "%.2f", d->growth_ps);
	if (!d->free)
		jsonw_uint_field(w, "exhausted_in_s", 0);
	else if (d->eta_s < 0)
		jsonw_null_field(w, "exhausted_in_s");
	else
		jsonw_float_field(w, "exhausted_in_s", "%.1f", d->eta_s);
	jsonw_name(w, "processes");
	jsonw_start_array(w);
	for (i = 0; i < d->nowners && i < EPH_OWNERS; i++) {
		jsonw_start_object(w);
		jsonw_int_field(w, "pid", d->owner[i].pid);
		jsonw_string_field(w, "comm", d->owner[i].comm);
		jsonw_uint_field(w, "sockets", d->owner[i].n);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_uint_field(w, "processes_total", d->nowners);
	jsonw_end_object(w);
}

static void range_json(json_writer_t *w, const struct eph_view *v)
{
	jsonw_name(w, "range");
	jsonw_start_object(w);
	jsonw_uint_field(w, "lo", v->sc.lo);
	jsonw_uint_field(w, "hi", v->sc.hi);
	jsonw_uint_field(w, "ports", v->range);
	jsonw_uint_field(w, "reserved", v->range - v->usable);
	jsonw_uint_field(w, "usable", v->usable);
	jsonw_uint_field(w, "even", v->even);
	jsonw_uint_field(w, "odd", v->odd);
	jsonw_end_object(w);
	jsonw_name(w, "held_by_bind");
	jsonw_start_object(w);
	jsonw_uint_field(w, "tcp", v->held_tcp);
	jsonw_uint_field(w, "udp", v->held_udp);
	jsonw_bool_field(w, "exact", v->held_exact);
	jsonw_end_object(w);
}

void eph_json(FILE *f, const struct eph_view *v, size_t top)
{
	json_writer_t w;
	size_t i;

	jsonw_init(&w, f);
	jsonw_start_object(&w);
	jsonw_uint_field(&w, "time", time(NULL));
	range_json(&w, v);
	jsonw_int_field(&w, "tcp_tw_reuse", v->sc.tw_reuse);
	jsonw_float_field(&w, "max_used_ratio", "%.4f", v->max_used);
	jsonw_name(&w, "destinations");
	jsonw_start_array(&w);
	for (i = 0; i < v->n && (!top || i < top); i++)
		dest_json(&w, &v->d[i]);
	jsonw_end_array(&w);
	jsonw_uint_field(&w, "shown", i);
	jsonw_uint_field(&w, "matching", v->n);
	jsonw_end_object(&w);
	jsonw_newline(&w);
}
