// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* portscope groups: every SO_REUSEPORT group, its members and their processes. */
#include <inttypes.h>
#include <netinet/in.h>
#include <string.h>
#include "cli/commands.h"
#include "lib/container.h"
#include "lib/fmt.h"
#include "lib/json_writer.h"
#include "lib/log.h"
#include "lib/netns.h"
#include "steer/view.h"

struct groups_cfg {
	struct groups_filter f;
	struct netns_sel ns;
	int all_netns;
};

/* What the rows are labelled with: the namespaces' names. */
struct groups_out {
	const struct groups *gs;
	const struct netns_list *nl;
	int all_netns;		/* label text rows with their namespace */
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

/* The container of the group's first server, if it is in one. */
static int group_container(const struct group *g, struct container *ct)
{
	const struct holder *srv = g->n ? member_server(&g->m[0]) : NULL;

	return srv && container_of(srv->pid, ct);
}

/* "  netns c1 (4026532001)  docker:web" */
static void netns_text(const struct groups_out *o, const struct group *g)
{
	const struct netns_entry *e = netns_find(o->nl, g->netns);
	struct container ct;
	char cs[128];

	if (e && e->name[0])
		printf("  netns %s (%llu)", e->name, (unsigned long long)g->netns);
	else
		printf("  netns %llu", (unsigned long long)g->netns);
	if (group_container(g, &ct))
		printf("  %s", container_short(&ct, cs, sizeof(cs)));
}

static void group_text(const struct groups_out *o, const struct group *g, const struct steer_view *v)
{
	char ep[64];
	size_t k;

	printf("%s %s", proto_name(g->proto), group_addr(g, ep, sizeof(ep)));
	if (o->all_netns)
		netns_text(o, g);
	printf("  %zu member%s  steering: ", g->n, g->n == 1 ? "" : "s");
	steering_text(o->gs, g, v);
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
		struct container ct;

		jsonw_start_object(w);
		jsonw_int_field(w, "pid", m->holders[h].pid);
		jsonw_int_field(w, "fd", m->holders[h].fd);
		jsonw_bool_field(w, "serving", m->holders[h].serving);
		jsonw_string_field(w, "comm", m->holders[h].comm);
		if (container_of(m->holders[h].pid, &ct))
			container_json(w, "container", &ct);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_end_object(w);
}

static void group_json(const struct groups_out *o, const struct group *g, const struct steer_view *v)
{
	struct container ct;
	json_writer_t w;
	char a[64];
	size_t k;

	jsonw_init(&w, stdout);
	jsonw_start_object(&w);
	netns_json(&w, netns_find(o->nl, g->netns), g->netns);
	jsonw_name(&w, "container");
	if (group_container(g, &ct))
		container_json(&w, NULL, &ct);
	else
		jsonw_null(&w);
	jsonw_string_field(&w, "proto", proto_name(g->proto));
	jsonw_uint_field(&w, "family", family_version(g->family));
	jsonw_string_field(&w, "addr", fmt_addr(g->addr, family_version(g->family), a, sizeof(a)));
	jsonw_uint_field(&w, "port", g->port);
	jsonw_uint_field(&w, "ifindex", g->ifindex);
	steering_json(&w, o->gs, g, v);
	jsonw_name(&w, "members");
	jsonw_start_array(&w);
	for (k = 0; k < g->n; k++)
		member_json(&w, g, &g->m[k], v);
	jsonw_end_array(&w);
	jsonw_end_object(&w);
	jsonw_newline(&w);
}

/* The groups of the namespace chosen, or of every one. */
static int collect(const struct groups_cfg *gc, struct groups *gs, struct netns_list *nl)
{
	int err = gc->all_netns ? netns_list_all(nl) : netns_list_names(nl);

	if (err) {
		pr_warn("cannot list the network namespaces: %s\n", strerror(-err));
		return err;
	}
	err = gc->all_netns ? groups_collect_in(gs, &gc->f, nl) : groups_collect(gs, &gc->f);
	if (err)
		pr_warn("cannot read the socket table: %s\n", strerror(-err));
	return err;
}

static int run_groups(void *cfg, const struct common *c)
{
	struct groups_cfg *gc = cfg;
	struct netns_list nl = {};
	struct steer_view v;
	struct groups gs;
	struct groups_out o = { &gs, &nl, gc->all_netns };
	size_t i;

	if (netns_choose(&gc->ns, gc->all_netns, NETNS_VISITS))
		return EXIT_USAGE;
	if (collect(gc, &gs, &nl)) {
		netns_list_free(&nl);
		return EXIT_FAIL;
	}
	if (!gs.n && !c->json)
		printf("no SO_REUSEPORT groups%s\n", gc->f.port ? " on that port" : "");
	for (i = 0; i < gs.n; i++) {
		steer_view_of(&gs.g[i], &v);
		(c->json ? group_json : group_text)(&o, &gs.g[i], &v);
	}
	groups_free(&gs);
	netns_list_free(&nl);
	return EXIT_OK;
}

static const struct opt groups_opts[] = {
	{ "port", 'p', OPT_PORT, OPTF(groups_cfg, f.port), "P", "only this port" },
	{ "proto", 'P', OPT_PROTO, OPTF(groups_cfg, f.proto), "PROTO", "only tcp or udp", .values = "tcp udp" },
	{ "all", 'a', OPT_FLAG, OPTF(groups_cfg, f.all), NULL, "also sockets without SO_REUSEPORT" },
	OPT_NETNS_ROW(groups_cfg, ns),
	OPT_ALL_NETNS_ROW(groups_cfg, all_netns, "every network namespace on the host: each group\n"
			  "labelled with its namespace and its servers' container"),
	{ NULL },
};

const struct cmd cmd_groups = {
	.name = "groups",
	.summary = "list SO_REUSEPORT groups, members and their processes",
	.about = "List the SO_REUSEPORT groups of this network namespace (or --netns NS's, or\n"
		 "every namespace's with --all-netns): members (listening TCP or bound UDP\n"
		 "sockets sharing an address and port), their queues, and the processes\n"
		 "holding each one. The SERVER is the process that serves the socket (its\n"
		 "epoll instance watches it, or it is blocked in accept on it); other holders\n"
		 "(e.g. an nginx master that inherited it) are listed after. A server in a\n"
		 "container is named by its cgroup: Docker, Kubernetes (pod uid and container\n"
		 "id), Podman, systemd-nspawn machine, LXC, or its systemd unit.",
	.examples = "sudo portscope groups --port 8080\nsudo portscope groups --proto udp --json\n"
		    "sudo portscope groups --all-netns\nsudo portscope groups --netns /run/docker/netns/1a2b3c4d5e6f",
	.opts = groups_opts,
	.cfg_size = sizeof(struct groups_cfg),
	.run = run_groups,
	.json = 1,
};
