// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The Prometheus text exposition (format 0.0.4) of the observer's per-port
 * and reason counters and of portscope's steering.
 *
 * Ports in ip_local_port_range that nobody listens on are exported as one
 * port="ephemeral" series per protocol: a series per client port would be
 * unbounded cardinality.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include "lib/fmt.h"
#include "steer/view.h"
#include "view/portview.h"
#include "view/model.h"
#include "view/prom.h"

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

/* A label value: backslash, quote and newline escaped. */
static void label_value(char *out, size_t len, const char *s)
{
	size_t o = 0;

	for (; *s && o + 3 < len; s++) {
		if (*s == '\\' || *s == '"' || *s == '\n')
			out[o++] = '\\';
		out[o++] = *s == '\n' ? 'n' : *s;
	}
	out[o] = 0;
}

/* ',netns="c1",container="docker:web"' for a row of --all-netns, or "". */
static const char *netns_labels(const struct port_row_view *r, char *buf, size_t len)
{
	char ns[80], cs[128], v1[170], v2[260] = "";
	struct container ct;

	buf[0] = 0;
	if (!r->labelled)
		return buf;
	label_value(v1, sizeof(v1), netns_label(r->ns, ns, sizeof(ns)));
	if (view_row_container(r, &ct))
		label_value(v2, sizeof(v2), container_short(&ct, cs, sizeof(cs)));
	snprintf(buf, len, ",netns=\"%s\"%s%s%s", v1, *v2 ? ",container=\"" : "", v2, *v2 ? "\"" : "");
	return buf;
}

/* ',netns="c1"' for a group of --all-netns, or "". */
static const char *group_netns_label(const struct port_view *v, const struct group *g, char *buf, size_t len)
{
	char ns[80], val[170];

	buf[0] = 0;
	if (v->all_netns) {
		const struct netns_entry *e = netns_find(&v->nl, g->netns);

		if (!e)
			snprintf(ns, sizeof(ns), "net:%llu", (unsigned long long)g->netns);
		label_value(val, sizeof(val), e ? netns_label(e, ns, sizeof(ns)) : ns);
		snprintf(buf, len, ",netns=\"%s\"", val);
	}
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
	char pb[8], (*ns)[480] = calloc(v->n + 1, sizeof(*ns));
	size_t i, k;

	if (!ns)
		return;
	for (i = 0; i < v->n; i++)
		netns_labels(&v->rows[i], ns[i], sizeof(ns[i]));
	for (k = 0; k < sizeof(fam) / sizeof(fam[0]); k++) {
		family(f, fam[k].name, fam[k].type, fam[k].help);
		for (i = 0; i < v->n; i++) {
			const struct port_row_view *r = &v->rows[i];

			if (r->proto != IPPROTO_TCP && k >= 2)
				continue;
			fprintf(f, "%s{proto=\"%s\",port=\"%s\"%s} %" PRIu64 "\n", fam[k].name,
				proto_name(r->proto), port_label(r, pb, sizeof(pb)), ns[i],
				(uint64_t)*(const __u64 *)((const char *)&r->total + fam[k].off));
		}
	}
	family(f, "portscope_port_flows", "gauge", "5-tuple flows in the flow table, per destination port.");
	for (i = 0; i < v->n; i++)
		fprintf(f, "portscope_port_flows{proto=\"%s\",port=\"%s\"%s} %u\n", proto_name(v->rows[i].proto),
			port_label(&v->rows[i], pb, sizeof(pb)), ns[i], v->rows[i].flows);
	family(f, "portscope_port_clients", "gauge", "Distinct client addresses in the flow table.");
	for (i = 0; i < v->n; i++)
		fprintf(f, "portscope_port_clients{proto=\"%s\",port=\"%s\"%s} %u\n", proto_name(v->rows[i].proto),
			port_label(&v->rows[i], pb, sizeof(pb)), ns[i], v->rows[i].clients);
	family(f, "portscope_port_established", "gauge", "TCP sockets ESTABLISHED on this local port.");
	for (i = 0; i < v->n; i++)
		if (v->rows[i].proto == IPPROTO_TCP && !v->rows[i].folded)
			fprintf(f, "portscope_port_established{proto=\"tcp\",port=\"%u\"%s} %u\n",
				v->rows[i].port, ns[i], v->rows[i].established);
	free(ns);
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
	char a[INET6_ADDRSTRLEN], ns[200];
	size_t g, m;
	int r, head = 0;

	for (g = 0; g < v->gs.n; g++) {
		const struct group *gr = &v->gs.g[g];

		steer_view_of(gr, &sv);
		if (!sv.steered)
			continue;
		group_netns_label(v, gr, ns, sizeof(ns));
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
			char lbl[448];

			snprintf(lbl, sizeof(lbl),
				 "proto=\"%s\",addr=\"%s\",port=\"%u\"%s,policy=\"%s\",cookie=\"%" PRIu64 "\",pid=\"%u\"",
				 proto_name(gr->proto), a, gr->port, ns, policy_name(sv.policy),
				 (uint64_t)sm->info.cookie, sm->info.pid);
			fprintf(f, "portscope_steer_selected_total{%s} %" PRIu64 "\n", lbl, (uint64_t)sm->st.selected);
			fprintf(f, "portscope_steer_migrated_total{%s} %" PRIu64 "\n", lbl, (uint64_t)sm->st.migrated_in);
			fprintf(f, "portscope_steer_active{%s} %" PRId64 "\n", lbl, (int64_t)sm->active);
		}
		for (r = PS_S_NO_MEMBER; r <= PS_S_FALLBACK_LAST; r++)
			fprintf(f, "portscope_steer_fallbacks_total{proto=\"%s\",addr=\"%s\",port=\"%u\"%s,reason=\"%s\"} %" PRIu64 "\n",
				proto_name(gr->proto), a, gr->port, ns, steer_reason_name(r), (uint64_t)sv.reasons[r]);
	}
}

/* UDP groups: flows per member, the flow table, datagrams by how they
 * were steered (flow hit or placement), flows placed afresh by reason, QUIC
 * connection-ID hits and misses. */
static void udp_member_series(FILE *f, const char *key, const struct steer_view *sv)
{
	size_t m;

	for (m = 0; m < sv->n; m++) {
		const struct steer_member *sm = &sv->m[m];
		char lbl[512];

		snprintf(lbl, sizeof(lbl), "%s,cookie=\"%" PRIu64 "\",pid=\"%u\"", key, (uint64_t)sm->info.cookie,
			 sm->info.pid);
		fprintf(f, "portscope_steer_udp_flows{%s} %" PRIu64 "\n", lbl, (uint64_t)sm->flows_held);
		fprintf(f, "portscope_steer_udp_flows_placed_total{%s} %" PRIu64 "\n", lbl, (uint64_t)sm->st.flows);
	}
}

static void udp_group_series(FILE *f, const char *key, const struct steer_view *sv)
{
	static const struct { const char *family, *label; int r; } rows[] = {
		{ "portscope_steer_udp_datagrams_total", "how=\"flow\"", PS_S_FLOW_HIT },
		{ "portscope_steer_udp_datagrams_total", "how=\"placed\"", PS_S_FLOW_NEW },
		{ "portscope_steer_udp_replaced_total", "reason=\"expired\"", PS_S_FLOW_IDLE },
		{ "portscope_steer_udp_replaced_total", "reason=\"member_closed\"", PS_S_FLOW_GONE },
		{ "portscope_steer_udp_replaced_total", "reason=\"member_replaced\"", PS_S_FLOW_MOVED },
		{ "portscope_steer_quic_cid_total", "result=\"hit\"", PS_S_CID_HIT },
		{ "portscope_steer_quic_cid_total", "result=\"miss\"", PS_S_CID_MISS },
		{ "portscope_steer_quic_cid_total", "result=\"long_header\"", PS_S_QUIC_LONG },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		fprintf(f, "%s{%s,%s} %" PRIu64 "\n", rows[i].family, key, rows[i].label,
			(uint64_t)sv->reasons[rows[i].r]);
	fprintf(f, "portscope_steer_udp_flow_table_entries{%s} %" PRIu64 "\n", key,
		(uint64_t)sv->flow_entries);
	fprintf(f, "portscope_steer_udp_flow_table_capacity{%s} %u\n", key,
		sv->flow_capacity);
	fprintf(f, "portscope_steer_udp_flow_table_evicted_total{%s} %" PRIu64 "\n", key,
		(uint64_t)steer_flows_evicted(sv));
}

static void udp_series(FILE *f, const struct port_view *v)
{
	static const char *const fam[][3] = {
		{ "portscope_steer_udp_flows", "gauge", "UDP flows a member holds (its own, not idle)." },
		{ "portscope_steer_udp_flows_placed_total", "counter", "UDP flows placed on a member by the policy." },
		{ "portscope_steer_udp_datagrams_total", "counter", "UDP datagrams steered by their flow, or placed." },
		{ "portscope_steer_udp_replaced_total", "counter", "UDP flows placed afresh, by reason." },
		{ "portscope_steer_quic_cid_total", "counter", "QUIC packets: short headers by connection ID (hit), unclaimed (miss); long headers." },
		{ "portscope_steer_udp_flow_table_entries", "gauge", "Entries in the UDP flow table." },
		{ "portscope_steer_udp_flow_table_capacity", "gauge", "Size of the UDP flow table (LRU)." },
		{ "portscope_steer_udp_flow_table_evicted_total", "counter", "UDP flows evicted by the LRU (inserts - entries)." },
	};
	struct steer_view sv;
	char a[INET6_ADDRSTRLEN], ns[200], key[300];
	size_t g, k;
	int head = 0;

	for (g = 0; g < v->gs.n; g++) {
		const struct group *gr = &v->gs.g[g];

		if (gr->proto != IPPROTO_UDP || steer_view_of(gr, &sv) || !sv.steered)
			continue;
		for (k = 0; !head++ && k < sizeof(fam) / sizeof(fam[0]); k++)
			family(f, fam[k][0], fam[k][1], fam[k][2]);
		inet_ntop(gr->family, gr->addr, a, sizeof(a));
		snprintf(key, sizeof(key), "addr=\"%s\",port=\"%u\"%s", a, gr->port,
			 group_netns_label(v, gr, ns, sizeof(ns)));
		udp_member_series(f, key, &sv);
		udp_group_series(f, key, &sv);
	}
}

/* The whole exposition, from one reading. */
int prom_expose(FILE *f, const struct map_fds *fds, int all_netns)
{
	struct view_opts vo = { .sort = SORT_PORT, .all_netns = all_netns };
	struct snapshot s;
	struct port_view v;
	int err = snapshot_read(fds, &s);

	if (err)
		return err;
	err = view_build(&v, &s, NULL, 0, &vo, NULL);
	if (err) {
		snapshot_free(&s);
		return err;
	}
	port_series(f, &v);
	reason_series(f, &v.snap);
	steer_series(f, &v);
	udp_series(f, &v);
	view_free(&v);
	return 0;
}
