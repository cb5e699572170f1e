// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* portscope groups: every SO_REUSEPORT group, its members and their processes. */
#include <inttypes.h>
#include <netinet/in.h>
#include <string.h>
#include "cli/commands.h"
#include "lib/fmt.h"
#include "lib/json_writer.h"
#include "lib/log.h"
#include "steer/view.h"

struct groups_cfg {
	struct groups_filter f;
};

static const char *group_addr(const struct group *g, char *buf, size_t len)
{
	return fmt_endpoint(g->addr, family_version(g->family), g->port, buf, len);
}

static void steering_text(const struct groups *gs, const struct group *g, const struct steer_view *v)
{
	if (v->steered && g->bpf_prog_id)
		printf("portscope %s (program %u)\n", policy_name(v->policy), g->bpf_prog_id);
	else if (v->steered)
		printf("portscope %s\n", policy_name(v->policy));
	else if (v->incomplete)
		printf("portscope, incomplete (its loader died%s): run 'portscope cleanup'\n",
		       g->bpf_prog_id ? " after attaching" : " before attaching");
	else if (g->bpf_prog_id)
		printf("another sk_reuseport program (id %u, map %u)\n", g->bpf_prog_id, g->bpf_map_id);
	else if (gs->progs_hidden)
		printf("kernel hash, or a program only CAP_SYS_ADMIN can list\n");
	else
		printf("kernel hash (no sk_reuseport program holds a member)\n");
}

static void member_text(const struct group *g, const struct member *m, const struct steer_view *v)
{
	const struct holder *srv = member_server(m);
	const struct steer_member *sm = steer_member_of(v, m->sk.cookie);
	char q[24], s[64];
	size_t h;

	if (g->proto == IPPROTO_TCP)
		snprintf(q, sizeof(q), "%u/%u", m->sk.rqueue, m->sk.wqueue);
	else
		snprintf(q, sizeof(q), "%u", m->sk.rqueue);
	if (srv && srv->serving)
		snprintf(s, sizeof(s), "%d %s fd %d", srv->pid, srv->comm, srv->fd);
	else
		snprintf(s, sizeof(s), "-");
	if (sm)
		snprintf(s + strlen(s), sizeof(s) - strlen(s), " (%" PRIu64 "/%" PRIu64 "%s)",
			 (uint64_t)sm->st.selected, (uint64_t)sm->st.migrated_in,
			 sm->info.drained ? " drained" : "");
	printf("  %-20" PRIu64 " %-9s %-9s %-28s", (uint64_t)m->sk.cookie, q,
	       m->reuseport == 1 ? "yes" : m->reuseport == 0 ? "no" : "?", s);
	for (h = 0; h < m->nholders; h++)
		if (!m->holders[h].serving)
			printf(" %d(%s fd %d)", m->holders[h].pid, m->holders[h].comm, m->holders[h].fd);
	printf("\n");
}

static void group_text(const struct groups *gs, const struct group *g, const struct steer_view *v)
{
	char ep[64];
	size_t k;

	printf("%s %s  %zu member%s  steering: ", proto_name(g->proto), group_addr(g, ep, sizeof(ep)),
	       g->n, g->n == 1 ? "" : "s");
	steering_text(gs, g, v);
	printf("  %-20s %-9s %-9s %-28s %s\n", "COOKIE", "QUEUE", "REUSEPORT",
	       v->steered ? "SERVER (SELECTED/MIGRATED)" : "SERVER", "HOLDERS");
	for (k = 0; k < g->n; k++)
		member_text(g, &g->m[k], v);
}

static void steering_json(json_writer_t *w, const struct groups *gs, const struct group *g,
			  const struct steer_view *v)
{
	jsonw_name(w, "steering");
	if (!v->steered && !v->incomplete && !g->bpf_prog_id && !gs->progs_hidden) {
		jsonw_null(w);
		return;
	}
	jsonw_start_object(w);
	if (v->steered) {
		jsonw_string_field(w, "by", "portscope");
		jsonw_string_field(w, "policy", policy_name(v->policy));
		jsonw_uint_field(w, "prog_id", g->bpf_prog_id);
	} else if (v->incomplete) {
		jsonw_string_field(w, "by", "portscope");
		jsonw_bool_field(w, "incomplete", 1);
		jsonw_bool_field(w, "attached", g->bpf_prog_id != 0);
	} else if (g->bpf_prog_id) {
		jsonw_string_field(w, "by", "other");
		jsonw_uint_field(w, "prog_id", g->bpf_prog_id);
		jsonw_uint_field(w, "map_id", g->bpf_map_id);
	} else {
		jsonw_string_field(w, "by", "unknown");
	}
	jsonw_end_object(w);
}

static void member_json(json_writer_t *w, const struct group *g, const struct member *m,
			const struct steer_view *v)
{
	const struct steer_member *sm = steer_member_of(v, m->sk.cookie);
	size_t h;

	jsonw_start_object(w);
	jsonw_uint_field(w, "cookie", m->sk.cookie);
	jsonw_uint_field(w, "inode", m->sk.inode);
	jsonw_uint_field(w, "queue", m->sk.rqueue);
	jsonw_uint_field(w, "backlog", g->proto == IPPROTO_TCP ? m->sk.wqueue : 0);
	jsonw_int_field(w, "reuseport", m->reuseport);
	if (sm) {
		jsonw_uint_field(w, "selected", sm->st.selected);
		jsonw_uint_field(w, "migrated_in", sm->st.migrated_in);
		jsonw_int_field(w, "active", sm->active);
		jsonw_uint_field(w, "weight", sm->info.weight);
		jsonw_bool_field(w, "drained", sm->info.drained);
	}
	jsonw_name(w, "holders");
	jsonw_start_array(w);
	for (h = 0; h < m->nholders; h++) {
		jsonw_start_object(w);
		jsonw_int_field(w, "pid", m->holders[h].pid);
		jsonw_int_field(w, "fd", m->holders[h].fd);
		jsonw_bool_field(w, "serving", m->holders[h].serving);
		jsonw_string_field(w, "comm", m->holders[h].comm);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_end_object(w);
}

static void group_json(const struct groups *gs, const struct group *g, const struct steer_view *v)
{
	json_writer_t w;
	char a[64];
	size_t k;

	jsonw_init(&w, stdout);
	jsonw_start_object(&w);
	jsonw_string_field(&w, "proto", proto_name(g->proto));
	jsonw_uint_field(&w, "family", family_version(g->family));
	jsonw_string_field(&w, "addr", fmt_addr(g->addr, family_version(g->family), a, sizeof(a)));
	jsonw_uint_field(&w, "port", g->port);
	jsonw_uint_field(&w, "ifindex", g->ifindex);
	steering_json(&w, gs, g, v);
	jsonw_name(&w, "members");
	jsonw_start_array(&w);
	for (k = 0; k < g->n; k++)
		member_json(&w, g, &g->m[k], v);
	jsonw_end_array(&w);
	jsonw_end_object(&w);
	jsonw_newline(&w);
}

static int run_groups(void *cfg, const struct common *c)
{
	struct groups_cfg *gc = cfg;
	struct steer_view v;
	struct groups gs;
	size_t i;
	int err = groups_collect(&gs, &gc->f);

	if (err) {
		pr_warn("cannot read the socket table: %s\n", strerror(-err));
		return EXIT_FAIL;
	}
	if (!gs.n && !c->json)
		printf("no SO_REUSEPORT groups%s\n", gc->f.port ? " on that port" : "");
	for (i = 0; i < gs.n; i++) {
		steer_view_of(&gs.g[i], &v);
		(c->json ? group_json : group_text)(&gs, &gs.g[i], &v);
	}
	groups_free(&gs);
	return EXIT_OK;
}

static const struct opt groups_opts[] = {
	{ "port", 'p', OPT_PORT, OPTF(groups_cfg, f.port), "P", "only this port" },
	{ "proto", 'P', OPT_PROTO, OPTF(groups_cfg, f.proto), "PROTO", "only tcp or udp", .values = "tcp udp" },
	{ "all", 'a', OPT_FLAG, OPTF(groups_cfg, f.all), NULL, "also sockets without SO_REUSEPORT" },
	{ NULL },
};

const struct cmd cmd_groups = {
	.name = "groups",
	.summary = "list SO_REUSEPORT groups, members and their processes",
	.about = "List the SO_REUSEPORT groups of this network namespace: members (listening\n"
		 "TCP or bound UDP sockets sharing an address and port), their queues, and\n"
		 "the processes holding each one. The SERVER is the process that serves the\n"
		 "socket (its epoll instance watches it, or it is blocked in accept on it);\n"
		 "other holders (e.g. an nginx master that inherited it) are listed after.",
	.examples = "sudo portscope groups --port 8080\nsudo portscope groups --proto udp --json",
	.opts = groups_opts,
	.cfg_size = sizeof(struct groups_cfg),
	.run = run_groups,
	.json = 1,
};
