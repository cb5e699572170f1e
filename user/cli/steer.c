// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* portscope steer PORT | steer off PORT | steer status */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include "cli/commands.h"
#include "lib/caps.h"
#include "lib/container.h"
#include "lib/fmt.h"
#include "lib/json_writer.h"
#include "lib/log.h"
#include "lib/netns.h"
#include "steer/state.h"
#include "steer/steer.h"

struct steer_cfg {
	struct steer_req req;
	int watch;
	double interval;
	struct netns_sel ns;
	int all_netns;
};

static const struct steer_cfg defaults = {
	.req = { .proto = IPPROTO_TCP, .policy = -1 },
	.interval = 0.2,
};

static int parse_addr(const char *s, void *field)
{
	unsigned char buf[16];

	if (inet_pton(AF_INET, s, buf) != 1 && inet_pton(AF_INET6, s, buf) != 1) {
		pr_warn("invalid --addr '%s': not an IPv4 or IPv6 address\n", s);
		return -EINVAL;
	}
	*(const char **)field = s;
	return 0;
}

#define REQ(f) OPTF(steer_cfg, req.f)
#define OPT_PROTO_ROW { "proto", 'P', OPT_PROTO, REQ(proto), "PROTO", "tcp (default) or udp", \
			.values = "tcp udp" }
#define OPT_ADDR_ROW { "addr", 0, OPT_FUNC, REQ(addr), "IP", \
		       "the group's bound address, when a port has several", .parse = parse_addr }

static const struct opt steer_opts[] = {
	OPT_PROTO_ROW,
	OPT_ADDR_ROW,
	{ "policy", 0, OPT_FUNC, REQ(policy), "POLICY",
	  "hash, round-robin, weighted, least-conn, source-affinity or cpu\n"
	  "(default: hash for a new group, else unchanged)",
	  .parse = parse_policy_arg, .values = "hash round-robin weighted least-conn source-affinity cpu" },
	{ "weight", 'w', OPT_FUNC, REQ(weights), "PID=W",
	  "weight of the sockets PID serves, 0..1000 (cookie:C=W: one socket)", .parse = parse_weight,
	  .flags = OPT_REPEAT },
	{ "drain", 0, OPT_FUNC, REQ(drain), "PID",
	  "no new connections to PID's sockets; when they close, their\n"
	  "queued connections migrate to the others (UDP: no new flows;\n"
	  "its flows stay until idle or its socket closes)", .parse = parse_pid, .flags = OPT_REPEAT },
	{ "undrain", 'u', OPT_FUNC, REQ(undrain), "PID", "take PID's sockets back", .parse = parse_pid,
	  .flags = OPT_REPEAT },
	{ "udp-flows", 0, OPT_FUNC, REQ(udp_flows), "on|off",
	  "UDP: on keeps each flow (client address and port) on the member\n"
	  "its first datagram was placed on; off places every datagram by the\n"
	  "policy (stateless request/response: DNS). Default on",
	  .parse = parse_udp_flows, .values = "on off" },
	{ "udp-idle", 0, OPT_SECONDS, REQ(udp_idle), "S",
	  "UDP: a flow idle this long is placed afresh (default 120, as\n"
	  "conntrack's UDP stream timeout; 0.1..86400)", .min = 0.1, .max = 86400 },
	{ "udp-flow-entries", 0, OPT_U32, REQ(udp_entries), "N",
	  "UDP: flows the table holds (LRU; default 65536), set when a group\n"
	  "is first steered", .min = 16, .max = 1 << 24 },
	{ "quic-cid", 0, OPT_FUNC, REQ(quic_cid), "OFF:LEN",
	  "UDP: QUIC short headers go to the member whose id is the DCID's\n"
	  "bytes [OFF, OFF+LEN), LEN <= 8 (nginx's quic_bpf: 0:8); long headers\n"
	  "and unclaimed ids by flow, then policy; 'off' stops it",
	  .parse = parse_quic_cid },
	{ "quic-id", 0, OPT_FUNC, REQ(quic_ids), "PID=HEX",
	  "the QUIC server id PID's sockets put in their connection IDs\n"
	  "(default: the socket's cookie, SO_COOKIE, as nginx writes it)",
	  .parse = parse_quic_id, .flags = OPT_REPEAT },
	{ "watch", 'W', OPT_FLAG, OPTF(steer_cfg, watch), NULL,
	  "stay, and keep the members in step with the group\n(restarted workers join, closed ones leave); UDP: say the\n"
	  "flows each drained member holds, and when it holds none" },
	{ "interval", 'd', OPT_SECONDS, OPTF(steer_cfg, interval), "S",
	  "--watch period in seconds (default 0.2; 0.01..60; 250ms also)", .min = 0.01, .max = 60 },
	OPT_NETNS_ROW(steer_cfg, ns),
	{ NULL },
};

static const struct opt off_opts[] = { OPT_PROTO_ROW, OPT_ADDR_ROW, OPT_NETNS_ROW(steer_cfg, ns), { NULL } };

static const struct opt status_opts[] = {
	OPT_NETNS_ROW(steer_cfg, ns),
	OPT_ALL_NETNS_ROW(steer_cfg, all_netns, "the groups steered in every network namespace,\n"
			  "each labelled with its namespace and container"),
	{ NULL },
};

static const struct opt port_operand[] = {
	{ "PORT", 0, OPT_PORT, REQ(port), "port" },
	{ NULL },
};

static int exit_of(int err)
{
	return !err ? EXIT_OK : err == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
}

static void print_result(const struct steer_result *res, const char *what, const struct common *c)
{
	json_writer_t w;

	if (!c->json) {
		printf("%s %u: %s\n", proto_name(res->proto), res->port, what);
		fflush(stdout);
		return;
	}
	jsonw_init(&w, stdout);
	jsonw_start_object(&w);
	jsonw_string_field(&w, "proto", proto_name(res->proto));
	jsonw_uint_field(&w, "port", res->port);
	jsonw_string_field(&w, "steering", what);
	jsonw_uint_field(&w, "members", res->members);
	jsonw_end_object(&w);
	jsonw_newline(&w);
}

/* --watch on a UDP group: a drained member's flows, and when it is safe
 * to stop it. One line each, on stdout. */
static void drain_said(void *ctx, const struct drain_note *n)
{
	const struct common *c = ctx;
	json_writer_t w;

	if (!c->json) {
		if (n->flows)
			printf("drained pid %u (socket %llu): %llu flows left\n", n->pid,
			       (unsigned long long)n->cookie, (unsigned long long)n->flows);
		else
			printf("drained pid %u (socket %llu): 0 flows left, safe to stop\n", n->pid,
			       (unsigned long long)n->cookie);
		fflush(stdout);
		return;
	}
	jsonw_init(&w, stdout);
	jsonw_start_object(&w);
	jsonw_uint_field(&w, "drained_pid", n->pid);
	jsonw_uint_field(&w, "cookie", n->cookie);
	jsonw_uint_field(&w, "flows", n->flows);
	jsonw_bool_field(&w, "safe_to_stop", !n->flows);
	jsonw_end_object(&w);
	jsonw_newline(&w);
}

static int run_steer(void *cfg, const struct common *c)
{
	struct steer_cfg *s = cfg;
	struct steer_result res;
	char what[64];
	int err;

	if (netns_choose(&s->ns, 0, 0) || require_caps(NEED_BPF | NEED_NET_ADMIN | NEED_PTRACE))
		return EXIT_USAGE;
	err = steer_apply(&s->req, &res);
	if (err)
		return exit_of(err);
	snprintf(what, sizeof(what), "%s over %zu member%s", policy_name(res.policy), res.members,
		 res.members == 1 ? "" : "s");
	print_result(&res, c->json ? policy_name(res.policy) : what, c);
	if (!s->watch)
		return EXIT_OK;
	return exit_of(steer_watch(&s->req, s->interval, drain_said, (void *)c) ? -EIO : 0);
}

static int run_off(void *cfg, const struct common *c)
{
	struct steer_cfg *s = cfg;
	struct steer_result res;
	enum steer_off_how how;
	int err;

	if (netns_choose(&s->ns, 0, 0) || require_caps(NEED_BPF | NEED_NET_ADMIN | NEED_PTRACE))
		return EXIT_USAGE;
	err = steer_off(&s->req, &res, &how);
	if (err)
		return exit_of(err);
	print_result(&res, how == STEER_OFF_STALE ? "no listeners; removed portscope's stale state"
						  : "kernel hash restored", c);
	return EXIT_OK;
}

static int is_udp(const struct steer_view *v)
{
	return v->mode.proto == IPPROTO_UDP;
}

/* "udp flows on (idle 120 s), quic cid 0:8" */
static void udp_mode_text(const struct steer_mode *m, char *buf, size_t len)
{
	int n;

	if (m->udp_flows)
		n = snprintf(buf, len, "udp flows on (idle %g s)", m->udp_idle_ns / 1e9);
	else
		n = snprintf(buf, len, "udp per datagram (flows off)");
	if (m->quic_len && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - n, ", quic cid %u:%u", m->quic_off, m->quic_len);
}

static void status_udp_text(const struct steer_view *v)
{
	const __u64 *r = v->reasons;

	printf("  flow table %llu/%u, %llu evicted (%llu inserts, %llu insert failures); datagrams: %llu by flow, %llu placed\n",
	       (unsigned long long)v->flow_entries, v->flow_capacity,
	       (unsigned long long)steer_flows_evicted(v), (unsigned long long)r[PS_S_FLOW_INSERT],
	       (unsigned long long)r[PS_S_FLOW_INSERT_FAIL], (unsigned long long)r[PS_S_FLOW_HIT],
	       (unsigned long long)r[PS_S_FLOW_NEW]);
	printf("  placed afresh: %llu expired, %llu member closed, %llu member replaced; quic: %llu cid hit, %llu cid miss, %llu long header\n",
	       (unsigned long long)r[PS_S_FLOW_IDLE], (unsigned long long)r[PS_S_FLOW_GONE],
	       (unsigned long long)r[PS_S_FLOW_MOVED], (unsigned long long)r[PS_S_CID_HIT],
	       (unsigned long long)r[PS_S_CID_MISS], (unsigned long long)r[PS_S_QUIC_LONG]);
}

static void member_text(const struct steer_view *v, const struct steer_member *m)
{
	printf("  %-4u %-20llu %-8u %-15s %6u %-8s %10llu", m->slot, (unsigned long long)m->info.cookie,
	       m->info.pid, m->info.comm, m->info.weight, m->info.drained ? "drained" : "live",
	       (unsigned long long)m->st.selected);
	if (is_udp(v))
		printf(" %8llu %8llu %8llu\n", (unsigned long long)m->flows_held,
		       (unsigned long long)m->flows_recent, (unsigned long long)m->st.flows);
	else
		printf(" %9llu %7lld\n", (unsigned long long)m->st.migrated_in, (long long)m->active);
}

/* How steer status labels groups: namespaces' names, and whether to. */
struct status_out {
	const struct netns_list *nl;
	int all_netns;
};

/* The container of a steered group's first member, if it is in one. */
static int status_container(const struct steer_view *v, struct container *ct)
{
	return v->n && container_of(v->m[0].info.pid, ct);
}

/* "  netns c2 (4026532001)  machine:c2" */
static void status_netns_text(const struct status_out *o, const struct steer_named_view *nv)
{
	__u64 ino = group_dir_netns(nv->name);
	const struct netns_entry *e = netns_find(o->nl, ino);
	struct container ct;
	char cs[128];

	if (e && e->name[0])
		printf("  netns %s (%llu)", e->name, (unsigned long long)ino);
	else
		printf("  netns %llu", (unsigned long long)ino);
	if (status_container(&nv->v, &ct))
		printf("  %s", container_short(&ct, cs, sizeof(cs)));
}

static void status_text(const struct status_out *o, const struct steer_named_view *nv)
{
	const struct steer_view *v = &nv->v;
	char mode[96] = "";
	size_t i;

	if (is_udp(v))
		udp_mode_text(&v->mode, mode, sizeof(mode));
	printf("%s", nv->name);
	if (o->all_netns)
		status_netns_text(o, nv);
	printf("  policy %s%s%s\n", policy_name(v->policy), *mode ? "  " : "", mode);
	printf("  %-4s %-20s %-8s %-15s %6s %-8s %10s", "SLOT", "COOKIE", "PID", "COMM", "WEIGHT", "STATE",
	       is_udp(v) ? "DATAGRAMS" : "SELECTED");
	if (is_udp(v))
		printf(" %8s %8s %8s\n", "FLOWS", "FLOWS/S", "PLACED");
	else
		printf(" %9s %7s\n", "MIGRATED", "ACTIVE");
	for (i = 0; i < v->n; i++)
		member_text(v, &v->m[i]);
	if (is_udp(v))
		status_udp_text(v);
	printf(" ");
	for (i = 0; i <= PS_S_FALLBACK_LAST; i++)
		printf(" %s %llu", steer_reason_name(i), (unsigned long long)v->reasons[i]);
	printf("\n");
}

static void member_json(json_writer_t *w, const struct steer_view *v, const struct steer_member *m)
{
	__u64 id;

	jsonw_start_object(w);
	jsonw_uint_field(w, "slot", m->slot);
	jsonw_uint_field(w, "cookie", m->info.cookie);
	jsonw_uint_field(w, "pid", m->info.pid);
	jsonw_string_field(w, "comm", m->info.comm);
	jsonw_uint_field(w, "weight", m->info.weight);
	jsonw_bool_field(w, "drained", m->info.drained);
	jsonw_uint_field(w, "selected", m->st.selected);
	jsonw_uint_field(w, "migrated_in", m->st.migrated_in);
	jsonw_int_field(w, "active", m->active);
	if (is_udp(v)) {
		jsonw_uint_field(w, "flows", m->flows_held);
		jsonw_uint_field(w, "flows_per_s", m->flows_recent);
		jsonw_uint_field(w, "flows_placed", m->st.flows);
		if (quic_claim(&v->mode, &m->info, &id))
			jsonw_uint_field(w, "quic_id", id);
	}
	jsonw_end_object(w);
}

static void udp_json(json_writer_t *w, const struct steer_view *v)
{
	jsonw_name(w, "udp");
	jsonw_start_object(w);
	jsonw_bool_field(w, "flows", v->mode.udp_flows);
	jsonw_float_field(w, "idle_s", "%g", v->mode.udp_idle_ns / 1e9);
	jsonw_name(w, "flow_table");
	jsonw_start_object(w);
	jsonw_uint_field(w, "entries", v->flow_entries);
	jsonw_uint_field(w, "capacity", v->flow_capacity);
	jsonw_uint_field(w, "inserts", v->reasons[PS_S_FLOW_INSERT]);
	jsonw_uint_field(w, "evicted", steer_flows_evicted(v));
	jsonw_end_object(w);
	jsonw_name(w, "quic_cid");
	if (v->mode.quic_len) {
		jsonw_start_object(w);
		jsonw_uint_field(w, "offset", v->mode.quic_off);
		jsonw_uint_field(w, "length", v->mode.quic_len);
		jsonw_end_object(w);
	} else {
		jsonw_null(w);
	}
	jsonw_end_object(w);
}

static void status_json(const struct status_out *o, const struct steer_named_view *nv)
{
	const struct steer_view *v = &nv->v;
	__u64 ino = group_dir_netns(nv->name);
	struct container ct;
	json_writer_t w;
	size_t i;

	jsonw_init(&w, stdout);
	jsonw_start_object(&w);
	jsonw_string_field(&w, "group", nv->name);
	netns_json(&w, netns_find(o->nl, ino), ino);
	jsonw_name(&w, "container");
	if (status_container(v, &ct))
		container_json(&w, NULL, &ct);
	else
		jsonw_null(&w);
	jsonw_string_field(&w, "proto", proto_name(v->mode.proto));
	jsonw_string_field(&w, "policy", policy_name(v->policy));
	if (is_udp(v))
		udp_json(&w, v);
	jsonw_name(&w, "members");
	jsonw_start_array(&w);
	for (i = 0; i < v->n; i++)
		member_json(&w, v, &v->m[i]);
	jsonw_end_array(&w);
	jsonw_name(&w, "reasons");
	jsonw_start_object(&w);
	for (i = 0; i < PS_S_MAX; i++)
		jsonw_uint_field(&w, steer_reason_name(i), v->reasons[i]);
	jsonw_end_object(&w);
	jsonw_end_object(&w);
	jsonw_newline(&w);
}

static int run_status(void *cfg, const struct common *c)
{
	struct steer_cfg *s = cfg;
	struct netns_list nl = {};
	struct status_out o = { &nl, s->all_netns };
	struct steer_named_view *v;
	size_t n, i, shown = 0;
	__u64 here;

	if (netns_choose(&s->ns, s->all_netns, 0))
		return EXIT_USAGE;
	if (steer_views_all(&v, &n)) {
		pr_warn("cannot read the steered groups\n");
		return EXIT_FAIL;
	}
	netns_list_names(&nl);
	here = netns_self();
	for (i = 0; i < n; i++) {
		if (!s->all_netns && group_dir_netns(v[i].name) != here)
			continue;
		(c->json ? status_json : status_text)(&o, &v[i]);
		shown++;
	}
	if (!shown && !c->json)
		printf("no steered groups%s\n", s->all_netns ? "" : " in this network namespace");
	if (n > shown && !c->json)
		printf("(%zu more steered in other network namespaces: --all-netns)\n", n - shown);
	netns_list_free(&nl);
	free(v);
	return EXIT_OK;
}

const struct cmd cmd_steer = {
	.name = "steer",
	.summary = "steer a reuseport group by policy; drain; 'steer off', 'steer status'",
	.about = "Steer new connections (TCP) or datagrams (UDP) among the sockets of a running\n"
		 "SO_REUSEPORT group, and move connections queued on a closing listener to the\n"
		 "others. The servers are not changed: their sockets are borrowed with\n"
		 "pidfd_getfd just long enough to attach. Changing policy, weights or drains\n"
		 "later only updates maps.\n"
		 "\n"
		 "Policies:\n"
		 "  hash             the kernel's flow-hash spread, with portscope's counters\n"
		 "  round-robin      strict rotation over live members\n"
		 "  weighted         in proportion to --weight (default weight 1, 0: none)\n"
		 "  least-conn       the member with the fewest established connections (TCP)\n"
		 "  source-affinity  a client address stays on one member (rendezvous hashing)\n"
		 "  cpu              the member whose SO_INCOMING_CPU is the receiving CPU\n"
		 "\n"
		 "UDP: the program runs for every datagram. By default a flow (client address\n"
		 "and port) stays on the member its first datagram was placed on, while that\n"
		 "member's socket lives and the flow is not idle for --udp-idle; --udp-flows off\n"
		 "places every datagram (stateless services). A drained member keeps its flows\n"
		 "and gets no new ones; --watch says when it holds none. --quic-cid routes QUIC\n"
		 "short headers by the server id in their connection ID, so a connection stays\n"
		 "on its worker when the client's address or port changes.",
	.examples = "sudo portscope steer 8080 --policy weighted --weight 4242=3 --weight 4243=1\n"
		    "sudo portscope steer 8080 --drain 4242\n"
		    "sudo portscope steer 8080 --policy round-robin --watch --interval 0.5\n"
		    "sudo portscope steer 443 --proto udp --policy round-robin --quic-cid 0:8\n"
		    "sudo portscope steer 443 --proto udp --drain 4242 --watch\n"
		    "sudo portscope steer 53 --proto udp --policy round-robin --udp-flows off",
	.notes = "before 0.2, --interval was in milliseconds (write 200ms); -p, -d, -a and\n"
		 "-i meant --policy, --drain, --addr and --interval. Each short letter now\n"
		 "means one thing on every command: -p is a port and -i an interface, so\n"
		 "--policy, --drain and --addr are long options only, and --interval is -d.",
	.opts = steer_opts,
	.operands = port_operand,
	.cfg_size = sizeof(struct steer_cfg),
	.defaults = &defaults,
	.run = run_steer,
	.json = 1,
};

const struct cmd cmd_steer_off = {
	.name = "steer",
	.verb = "off",
	.summary = "back to the kernel's hash",
	.about = "Detach the steering program (SO_DETACH_REUSEPORT_BPF) and remove its pins; the\n"
		 "group is on the kernel's hash again. For a port nobody listens on any more,\n"
		 "remove the pins left of it.",
	.examples = "sudo portscope steer off 8080",
	.opts = off_opts,
	.operands = port_operand,
	.cfg_size = sizeof(struct steer_cfg),
	.defaults = &defaults,
	.run = run_off,
	.json = 1,
};

const struct cmd cmd_steer_status = {
	.name = "steer",
	.verb = "status",
	.summary = "the steered groups",
	.about = "The groups portscope steers in this network namespace (--netns NS: in NS;\n"
		 "--all-netns: in every one, each labelled with its namespace and container):\n"
		 "policy, per member selected, migrated and active counts, weight and drain,\n"
		 "and the selections left to the kernel's hash by reason. UDP groups: the mode,\n"
		 "per member datagrams, flows held, flows placed in the last second and in all;\n"
		 "the flow table (entries, evicted); datagrams by flow or placed, flows placed\n"
		 "afresh by reason, QUIC ID hits and misses. It reads pins only: --all-netns\n"
		 "enters no namespace.",
	.examples = "sudo portscope steer status\nsudo portscope steer status --json\n"
		    "sudo portscope steer status --all-netns",
	.opts = status_opts,
	.cfg_size = sizeof(struct steer_cfg),
	.defaults = &defaults,
	.run = run_status,
	.json = 1,
};
