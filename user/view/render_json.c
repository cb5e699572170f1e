// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* One JSON object per snapshot, on one line (JSON lines for --count N). */
#include <netinet/in.h>
#include "lib/fmt.h"
#include "view/model.h"
#include "observe/replay.h"
#include "view/render.h"

void render_json_port_stats(json_writer_t *w, const struct ps_port_stats *st)
{
	jsonw_uint_field(w, "packets", st->packets);
	jsonw_uint_field(w, "bytes", st->bytes);
	jsonw_uint_field(w, "syn", st->syn);
	jsonw_uint_field(w, "synack", st->synack);
	jsonw_uint_field(w, "fin", st->fin);
	jsonw_uint_field(w, "rst", st->rst);
}

static void json_ports(json_writer_t *w, const struct snapshot *s)
{
	size_t i;

	jsonw_name(w, "ports");
	jsonw_start_array(w);
	for (i = 0; i < s->nports; i++) {
		const struct port_row *r = &s->ports[i];

		jsonw_start_object(w);
		jsonw_string_field(w, "proto", proto_name(r->key.proto));
		jsonw_uint_field(w, "port", r->key.port);
		render_json_port_stats(w, &r->st);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

void render_json_flow(json_writer_t *w, const struct flow_row *r)
{
	char a[64], fl[9];

	jsonw_string_field(w, "proto", proto_name(r->key.proto));
	jsonw_uint_field(w, "family", r->key.family);
	jsonw_string_field(w, "src", fmt_addr(r->key.saddr, r->key.family, a, sizeof(a)));
	jsonw_uint_field(w, "sport", r->key.sport);
	jsonw_string_field(w, "dst", fmt_addr(r->key.daddr, r->key.family, a, sizeof(a)));
	jsonw_uint_field(w, "dport", r->key.dport);
	jsonw_uint_field(w, "packets", r->st.packets);
	jsonw_uint_field(w, "bytes", r->st.bytes);
	jsonw_string_field(w, "tcp_flags", fmt_tcp_flags(r->st.tcp_flags, fl));
}

static void json_flows(json_writer_t *w, const struct snapshot *s, size_t top)
{
	size_t i, n = top && top < s->nflows ? top : s->nflows;

	jsonw_name(w, "flows");
	jsonw_start_array(w);
	for (i = 0; i < n; i++) {
		jsonw_start_object(w);
		render_json_flow(w, &s->flows[i]);
		jsonw_uint_field(w, "first_ns", s->flows[i].st.first_ns);
		jsonw_uint_field(w, "last_ns", s->flows[i].st.last_ns);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

void render_json_reasons(json_writer_t *w, const struct snapshot *s)
{
	int r;

	jsonw_name(w, "reasons");
	jsonw_start_object(w);
	for (r = 0; r < PS_R_MAX; r++)
		jsonw_uint_field(w, reason_name(r), s->reasons[r]);
	jsonw_end_object(w);
	render_json_flow_table(w, s);
}

void render_json_flow_table(json_writer_t *w, const struct snapshot *s)
{
	jsonw_name(w, "flow_table");
	jsonw_start_object(w);
	jsonw_uint_field(w, "entries", s->nflows);
	jsonw_uint_field(w, "capacity", s->flow_capacity);
	jsonw_uint_field(w, "inserts", s->reasons[PS_R_FLOW_NEW]);
	jsonw_uint_field(w, "evicted", flows_evicted(s));
	jsonw_uint_field(w, "insert_failed", s->reasons[PS_R_FLOW_INSERT_FAIL]);
	jsonw_end_object(w);
}

/* How the capture's frames were given to the program (replay). */
static void json_capture(json_writer_t *w, const struct replay_stats *rs)
{
	jsonw_name(w, "capture");
	jsonw_start_object(w);
	jsonw_uint_field(w, "frames", rs->packets);
	jsonw_uint_field(w, "cut", rs->snapped);
	jsonw_uint_field(w, "oversize", rs->oversize);
	jsonw_uint_field(w, "runts", rs->runts);
	jsonw_uint_field(w, "max_frame", rs->max_frame);
	jsonw_string_field(w, "bytes", "wire length");
	jsonw_end_object(w);
}

void render_json(FILE *f, const struct snapshot *s, const struct render_opts *o)
{
	json_writer_t w;

	jsonw_init(&w, f);
	jsonw_start_object(&w);
	json_ports(&w, s);
	if (o->flows)
		json_flows(&w, s, o->top);
	jsonw_uint_field(&w, "packets", snapshot_class_total(s));
	render_json_reasons(&w, s);
	if (o->capture)
		json_capture(&w, o->capture);
	jsonw_end_object(&w);
	jsonw_newline(&w);
}
