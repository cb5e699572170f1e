// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* portscope steer PORT | steer off PORT | steer status */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include "cli/commands.h"
#include "lib/caps.h"
#include "lib/fmt.h"
#include "lib/json_writer.h"
#include "lib/log.h"
#include "steer/steer.h"

struct steer_cfg {
	struct steer_req req;
	int watch;
	double interval;
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
	  "queued connections migrate to the others", .parse = parse_pid, .flags = OPT_REPEAT },
	{ "undrain", 'u', OPT_FUNC, REQ(undrain), "PID", "take PID's sockets back", .parse = parse_pid,
	  .flags = OPT_REPEAT },
	{ "watch", 'W', OPT_FLAG, OPTF(steer_cfg, watch), NULL,
	  "stay, and keep the members in step with the group\n(restarted workers join, closed ones leave)" },
	{ "interval", 'd', OPT_SECONDS, OPTF(steer_cfg, interval), "S",
	  "--watch period in seconds (default 0.2; 0.01..60; 250ms also)", .min = 0.01, .max = 60 },
	{ NULL },
};

static const struct opt off_opts[] = { OPT_PROTO_ROW, OPT_ADDR_ROW, { NULL } };

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

static int run_steer(void *cfg, const struct common *c)
{
	struct steer_cfg *s = cfg;
	struct steer_result res;
	char what[64];
	int err;

	if (require_caps(NEED_BPF | NEED_NET_ADMIN | NEED_PTRACE))
		return EXIT_USAGE;
	err = steer_apply(&s->req, &res);
	if (err)
		return exit_of(err);
	snprintf(what, sizeof(what), "%s over %zu member%s", policy_name(res.policy), res.members,
		 res.members == 1 ? "" : "s");
	print_result(&res, c->json ? policy_name(res.policy) : what, c);
	return s->watch ? exit_of(steer_watch(&s->req, s->interval) ? -EIO : 0) : EXIT_OK;
}

static int run_off(void *cfg, const struct common *c)
{
	struct steer_cfg *s = cfg;
	struct steer_result res;
	enum steer_off_how how;
	int err;

	if (require_caps(NEED_BPF | NEED_NET_ADMIN | NEED_PTRACE))
		return EXIT_USAGE;
	err = steer_off(&s->req, &res, &how);
	if (err)
		return exit_of(err);
	print_result(&res, how == STEER_OFF_STALE ? "no listeners; removed portscope's stale state"
						  : "kernel hash restored", c);
	return EXIT_OK;
}

static void status_text(const struct steer_named_view *nv)
{
	const struct steer_view *v = &nv->v;
	size_t i;

	printf("%s  policy %s\n", nv->name, policy_name(v->policy));
	printf("  %-4s %-20s %-8s %-15s %6s %-8s %10s %9s %7s\n", "SLOT", "COOKIE", "PID", "COMM",
	       "WEIGHT", "STATE", "SELECTED", "MIGRATED", "ACTIVE");
	for (i = 0; i < v->n; i++) {
		const struct steer_member *m = &v->m[i];

		printf("  %-4u %-20llu %-8u %-15s %6u %-8s %10llu %9llu %7lld\n", m->slot,
		       (unsigned long long)m->info.cookie, m->info.pid, m->info.comm, m->info.weight,
		       m->info.drained ? "drained" : "live", (unsigned long long)m->st.selected,
		       (unsigned long long)m->st.migrated_in, (long long)m->active);
	}
	printf(" ");
	for (i = 0; i < PS_S_MAX; i++)
		printf(" %s %llu", steer_reason_name(i), (unsigned long long)v->reasons[i]);
	printf("\n");
}

static void status_json(const struct steer_named_view *nv)
{
	const struct steer_view *v = &nv->v;
	json_writer_t w;
	size_t i;

	jsonw_init(&w, stdout);
	jsonw_start_object(&w);
	jsonw_string_field(&w, "group", nv->name);
	jsonw_string_field(&w, "policy", policy_name(v->policy));
	jsonw_name(&w, "members");
	jsonw_start_array(&w);
	for (i = 0; i < v->n; i++) {
		const struct steer_member *m = &v->m[i];

		jsonw_start_object(&w);
		jsonw_uint_field(&w, "slot", m->slot);
		jsonw_uint_field(&w, "cookie", m->info.cookie);
		jsonw_uint_field(&w, "pid", m->info.pid);
		jsonw_string_field(&w, "comm", m->info.comm);
		jsonw_uint_field(&w, "weight", m->info.weight);
		jsonw_bool_field(&w, "drained", m->info.drained);
		jsonw_uint_field(&w, "selected", m->st.selected);
		jsonw_uint_field(&w, "migrated_in", m->st.migrated_in);
		jsonw_int_field(&w, "active", m->active);
		jsonw_end_object(&w);
	}
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
	struct steer_named_view *v;
	size_t n, i;

	(void)cfg;
	if (steer_views_all(&v, &n)) {
		pr_warn("cannot read the steered groups\n");
		return EXIT_FAIL;
	}
	for (i = 0; i < n; i++)
		(c->json ? status_json : status_text)(&v[i]);
	if (!n && !c->json)
		printf("no steered groups\n");
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
		 "  cpu              the member whose SO_INCOMING_CPU is the receiving CPU",
	.examples = "sudo portscope steer 8080 --policy weighted --weight 4242=3 --weight 4243=1\n"
		    "sudo portscope steer 8080 --drain 4242\n"
		    "sudo portscope steer 8080 --policy round-robin --watch --interval 0.5",
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
	.about = "Every group portscope steers: policy, per member selected, migrated and active\n"
		 "counts, weight and drain, and the selections left to the kernel's hash by\n"
		 "reason.",
	.examples = "sudo portscope steer status\nsudo portscope steer status --json",
	.run = run_status,
	.json = 1,
};
