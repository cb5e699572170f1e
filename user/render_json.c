// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * One JSON object per snapshot, on one line (JSON lines for --count N).
 * Every string printed is generated here (protocol names, addresses,
 * reason names, flag letters): nothing needs escaping.
 */
#include <inttypes.h>
#include <netinet/in.h>
#include "model.h"
#include "render.h"

static void json_ports(FILE *f, const struct snapshot *s)
{
	size_t i;

	fputs("\"ports\":[", f);
	for (i = 0; i < s->nports; i++) {
		const struct port_row *r = &s->ports[i];

		fprintf(f, "%s{\"proto\":\"%s\",\"port\":%u,\"packets\":%" PRIu64
			",\"bytes\":%" PRIu64 ",\"syn\":%" PRIu64 ",\"synack\":%" PRIu64
			",\"fin\":%" PRIu64 ",\"rst\":%" PRIu64 "}",
			i ? "," : "", proto_name(r->key.proto), r->key.port,
			(uint64_t)r->st.packets, (uint64_t)r->st.bytes, (uint64_t)r->st.syn,
			(uint64_t)r->st.synack, (uint64_t)r->st.fin, (uint64_t)r->st.rst);
	}
	fputs("]", f);
}

static void json_flows(FILE *f, const struct snapshot *s, size_t top)
{
	char src[64], dst[64], fl[9];
	size_t i, n = top && top < s->nflows ? top : s->nflows;

	fputs(",\"flows\":[", f);
	for (i = 0; i < n; i++) {
		const struct flow_row *r = &s->flows[i];

		fprintf(f, "%s{\"proto\":\"%s\",\"family\":%u,\"src\":\"%s\",\"sport\":%u,"
			"\"dst\":\"%s\",\"dport\":%u,\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64
			",\"tcp_flags\":\"%s\",\"first_ns\":%" PRIu64 ",\"last_ns\":%" PRIu64 "}",
			i ? "," : "", proto_name(r->key.proto), r->key.family,
			fmt_addr(r->key.saddr, r->key.family, src, sizeof(src)), r->key.sport,
			fmt_addr(r->key.daddr, r->key.family, dst, sizeof(dst)), r->key.dport,
			(uint64_t)r->st.packets, (uint64_t)r->st.bytes,
			fmt_tcp_flags(r->st.tcp_flags, fl), (uint64_t)r->st.first_ns,
			(uint64_t)r->st.last_ns);
	}
	fputs("]", f);
}

void render_json_reasons(FILE *f, const struct snapshot *s)
{
	int r;

	fputs("\"reasons\":{", f);
	for (r = 0; r < PS_R_MAX; r++)
		fprintf(f, "%s\"%s\":%" PRIu64, r ? "," : "", reason_name(r),
			(uint64_t)s->reasons[r]);
	fprintf(f, "},\"flow_table\":{\"entries\":%zu,\"capacity\":%u,\"inserts\":%" PRIu64
		",\"evicted\":%" PRIu64 ",\"insert_failed\":%" PRIu64 "}",
		s->nflows, s->flow_capacity, (uint64_t)s->reasons[PS_R_FLOW_NEW],
		(uint64_t)flows_evicted(s), (uint64_t)s->reasons[PS_R_FLOW_INSERT_FAIL]);
}

void render_json(FILE *f, const struct snapshot *s, const struct render_opts *o)
{
	fputc('{', f);
	json_ports(f, s);
	if (o->flows)
		json_flows(f, s, o->top);
	fprintf(f, ",\"packets\":%" PRIu64 ",", (uint64_t)snapshot_class_total(s));
	render_json_reasons(f, s);
	fputs("}\n", f);
}
