// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <time.h>
#include "lib/fmt.h"
#include "lib/json_writer.h"
#include "steer/view.h"
#include "view/render.h"
#include "view/render_ports.h"

void ports_text(const struct port_view *v, const struct live *l)
{
	char a[16], b[16], c[16], when[16], lst[240], rst[16];
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
	if (v->all_netns)
		printf("listeners of %zu network namespaces, read %.0fs ago\n", v->nl.n, v->sockets_age);
	printf("%-5s %-16s %8s %8s %6s %6s %6s %6s %7s %6s  %s\n", "PROTO", "PORT", "PKTS/S",
	       "BYTES/S", "NEW/S", "RST/S", "FLOWS", "ACTIVE", "CLIENTS", "ESTAB",
	       v->all_netns ? "NETNS [CONTAINER]: LISTENERS" : "LISTENERS");
	for (i = 0; i < v->n; i++) {
		const struct port_row_view *r = &v->rows[i];
		char port[24];

		if (r->folded)
			snprintf(port, sizeof(port), "(%u ephemeral)", r->folded);
		else
			snprintf(port, sizeof(port), "%u %s", r->port, r->kind == PORT_SERVICE ? "" :
					r->kind == PORT_EPHEMERAL ? "ephem" : "unbound");
		view_listeners(r, lst, sizeof(lst));
		snprintf(rst, sizeof(rst), r->split ? "-" : "%.0f", r->rst_ps);
		printf("%-5s %-16s %8s %8s %6.0f %6s %6u %6u %7u %6u  %s\n", proto_name(r->proto), port,
		       view_human(r->pps, a, sizeof(a)), view_human(r->bps, b, sizeof(b)), r->new_ps, rst,
		       r->flows, r->active, r->clients, r->established, lst);
	}
	printf("\n");
	fflush(stdout);
}

/* The listening groups of a row, their processes and portscope's counters. */
static void listener_json(json_writer_t *w, const struct group *gr)
{
	struct steer_view sv;
	size_t m, k;
	char a[64];

	steer_view_of(gr, &sv);
	jsonw_start_object(w);
	jsonw_string_field(w, "addr", fmt_addr(gr->addr, family_version(gr->family), a, sizeof(a)));
	jsonw_uint_field(w, "members", gr->n);
	jsonw_name(w, "steering");
	if (sv.steered) {
		snprintf(a, sizeof(a), "portscope %s", policy_name(sv.policy));
		jsonw_string(w, a);
	} else if (gr->bpf_prog_id) {
		snprintf(a, sizeof(a), "bpf prog %u", gr->bpf_prog_id);
		jsonw_string(w, a);
	} else {
		jsonw_null(w);
	}
	jsonw_name(w, "processes");
	jsonw_start_array(w);
	for (m = 0; m < gr->n; m++)
		for (k = 0; k < gr->m[m].nholders; k++) {
			const struct holder *ho = &gr->m[m].holders[k];
			const struct steer_member *sm = ho->serving ? steer_member_of(&sv, gr->m[m].sk.cookie)
								    : NULL;

			jsonw_start_object(w);
			jsonw_int_field(w, "pid", ho->pid);
			jsonw_int_field(w, "fd", ho->fd);
			jsonw_uint_field(w, "cookie", gr->m[m].sk.cookie);
			jsonw_bool_field(w, "serving", ho->serving);
			if (sm) {	/* portscope steers it: the member's counters */
				jsonw_uint_field(w, "selected", sm->st.selected);
				jsonw_uint_field(w, "migrated_in", sm->st.migrated_in);
				jsonw_int_field(w, "active", sm->active);
				jsonw_bool_field(w, "drained", sm->info.drained);
			}
			jsonw_string_field(w, "comm", ho->comm);
			jsonw_end_object(w);
		}
	jsonw_end_array(w);
	jsonw_end_object(w);
}

/* --all-netns: where the row's traffic went, and the server's container. */
static void row_netns_json(json_writer_t *w, const struct port_row_view *r)
{
	struct container ct;

	if (r->ns) {
		netns_json(w, r->ns, r->ns->ino);
	} else {
		jsonw_name(w, "netns");
		jsonw_null(w);
	}
	jsonw_name(w, "container");
	if (view_row_container(r, &ct))
		container_json(w, NULL, &ct);
	else
		jsonw_null(w);
	jsonw_bool_field(w, "split", r->split);
}

static void row_json(json_writer_t *w, const struct port_row_view *r)
{
	size_t g;

	jsonw_start_object(w);
	if (r->labelled)
		row_netns_json(w, r);
	jsonw_string_field(w, "proto", proto_name(r->proto));
	jsonw_uint_field(w, "port", r->folded ? 0 : r->port);
	jsonw_string_field(w, "kind", kind_name(r->kind));
	jsonw_uint_field(w, "folded", r->folded);
	jsonw_float_field(w, "pkts_s", "%.1f", r->pps);
	jsonw_float_field(w, "bytes_s", "%.1f", r->bps);
	jsonw_float_field(w, "new_s", "%.1f", r->new_ps);
	jsonw_float_field(w, "rst_s", "%.1f", r->rst_ps);
	render_json_port_stats(w, &r->total);
	jsonw_uint_field(w, "flows", r->flows);
	jsonw_uint_field(w, "active", r->active);
	jsonw_uint_field(w, "clients", r->clients);
	jsonw_uint_field(w, "established", r->established);
	jsonw_name(w, "listeners");
	jsonw_start_array(w);
	for (g = 0; g < r->ngroups; g++)
		listener_json(w, r->groups[g]);
	jsonw_end_array(w);
	jsonw_end_object(w);
}

void ports_json(const struct port_view *v, const struct live *l)
{
	json_writer_t w;
	size_t i;
	int k;

	jsonw_init(&w, stdout);
	jsonw_start_object(&w);
	jsonw_int_field(&w, "time", time(NULL));
	jsonw_float_field(&w, "interval", "%.3f", v->interval);
	jsonw_name(&w, "interfaces");
	jsonw_start_array(&w);
	for (k = 0; k < l->n; k++) {
		jsonw_start_object(&w);
		jsonw_string_field(&w, "ifname", l->ifs[k].name);
		jsonw_string_field(&w, "mode", mode_name(l->ifs[k].mode));
		jsonw_end_object(&w);
	}
	jsonw_end_array(&w);
	jsonw_name(&w, "rates");
	jsonw_start_object(&w);
	jsonw_float_field(&w, "pkts", "%.1f", v->pps);
	jsonw_float_field(&w, "bytes", "%.1f", v->bps);
	jsonw_float_field(&w, "new", "%.1f", v->new_ps);
	jsonw_end_object(&w);
	jsonw_name(&w, "totals");
	jsonw_start_object(&w);
	jsonw_uint_field(&w, "packets", snapshot_class_total(&v->snap));
	jsonw_uint_field(&w, "malformed", view_malformed(&v->snap));
	jsonw_end_object(&w);
	if (v->all_netns) {
		jsonw_uint_field(&w, "netns_seen", v->nl.n);
		jsonw_float_field(&w, "listeners_age_s", "%.1f", v->sockets_age);
	}
	jsonw_name(&w, "ports");
	jsonw_start_array(&w);
	for (i = 0; i < v->n; i++)
		row_json(&w, &v->rows[i]);
	jsonw_end_array(&w);
	render_json_reasons(&w, &v->snap);
	jsonw_end_object(&w);
	jsonw_newline(&w);
}
