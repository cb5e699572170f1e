// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Plain-text tables, like ss/nstat: rows as they are sorted by the caller. */
#include <inttypes.h>
#include <netinet/in.h>
#include "view/model.h"
#include "lib/fmt.h"
#include "observe/replay.h"
#include "view/render.h"

static void ports_table(FILE *f, const struct snapshot *s)
{
	size_t i;

	fprintf(f, "%-5s %5s %12s %14s %9s %9s %9s %9s\n", "PROTO", "PORT", "PACKETS",
		"BYTES", "NEW", "SYNACK", "FIN", "RST");
	for (i = 0; i < s->nports; i++) {
		const struct ps_port_stats *p = &s->ports[i].st;

		fprintf(f, "%-5s %5u %12" PRIu64 " %14" PRIu64, proto_name(s->ports[i].key.proto),
			s->ports[i].key.port, (uint64_t)p->packets, (uint64_t)p->bytes);
		if (s->ports[i].key.proto == IPPROTO_TCP)
			fprintf(f, " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 "\n",
				(uint64_t)p->syn, (uint64_t)p->synack, (uint64_t)p->fin,
				(uint64_t)p->rst);
		else
			fprintf(f, " %9s %9s %9s %9s\n", "-", "-", "-", "-");
	}
}

static void flows_table(FILE *f, const struct snapshot *s, size_t top)
{
	char src[64], dst[64], fl[9];
	size_t i, n = top && top < s->nflows ? top : s->nflows;

	fprintf(f, "\n%-5s %-47s %-47s %10s %12s %-8s\n", "PROTO", "SOURCE", "DESTINATION",
		"PACKETS", "BYTES", "FLAGS");
	for (i = 0; i < n; i++) {
		const struct flow_row *r = &s->flows[i];

		fprintf(f, "%-5s %-47s %-47s %10" PRIu64 " %12" PRIu64 " %-8s\n",
			proto_name(r->key.proto),
			fmt_endpoint(r->key.saddr, r->key.family, r->key.sport, src, sizeof(src)),
			fmt_endpoint(r->key.daddr, r->key.family, r->key.dport, dst, sizeof(dst)),
			(uint64_t)r->st.packets, (uint64_t)r->st.bytes,
			r->key.proto == IPPROTO_TCP ? fmt_tcp_flags(r->st.tcp_flags, fl) : "-");
	}
	if (n < s->nflows)
		fprintf(f, "(%zu more flows; --top 0 shows all)\n", s->nflows - n);
}

static void reasons_table(FILE *f, const struct snapshot *s)
{
	int r;

	fprintf(f, "\npackets %" PRIu64 "\n", (uint64_t)snapshot_class_total(s));
	for (r = 0; r < PS_R_MAX; r++)
		if (s->reasons[r])
			fprintf(f, "  %-24s %12" PRIu64 "\n", reason_name(r),
				(uint64_t)s->reasons[r]);
	fprintf(f, "flow table: %zu of %u entries, %" PRIu64 " evicted\n", s->nflows,
		s->flow_capacity, (uint64_t)flows_evicted(s));
}

static void capture_line(FILE *f, const struct replay_stats *rs)
{
	fprintf(f, "capture: %" PRIu64 " frames, %" PRIu64 " cut by the snap length, %" PRIu64
		" over the kernel's test_run limit (%u bytes given), %" PRIu64 " runts; bytes count the"
		" wire length\n", (uint64_t)rs->packets, (uint64_t)rs->snapped, (uint64_t)rs->oversize,
		rs->max_frame, (uint64_t)rs->runts);
}

void render_text(FILE *f, const struct snapshot *s, const struct render_opts *o)
{
	ports_table(f, s);
	if (o->flows)
		flows_table(f, s, o->top);
	reasons_table(f, s);
	if (o->capture)
		capture_line(f, o->capture);
}
